// Package disrupt records disruption orders: orders an operator (a
// telecommunications company, an internet service provider, a platform)
// receives to block, slow or shut down a network or a service, in whole or
// in a region, for a time. An order is recorded with who issued it and on
// what legal basis, its scope (networks, regions, services), when it starts
// and ends, and what the operator did: whether it challenged the order,
// whether it carried it out, and whether it told its customers.
//
// Every order is flagged as contrary to the standards Vigil implements,
// whatever its scope, length or stated reason. The UN human rights office's
// report on new technologies and peaceful protests, A/HRC/44/24, treats
// network shutdowns and the blocking of services around assemblies in
// paragraphs 21-23, asks States in paragraph 53(b)-(c) not to resort to
// them, and asks business enterprises in paragraph 54(d) what to do when
// they are ordered to. Vigil does not weigh an order's reasons before
// flagging it: the flag states what the standard says of the measure, it
// is not a finding about one order, and it is the same for all (see
// Order.Flags). Recording every order is what makes each one visible and
// countable.
//
// Orders are imported from and exported to the column layout of Access
// Now's STOP dataset (the #KeepItOn Shutdown Tracker Optimization Project)
// so that Vigil's records can be compared with, and contributed to, the
// public record of shutdowns; see ReadSTOP and WriteSTOP. STOP has no
// column for what the operator did, so those facts stay in Vigil.
package disrupt
