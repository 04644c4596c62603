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
// report on new technologies and peaceful protests, A/HRC/44/24, reports in
// paragraphs 21-22 that blanket Internet shutdowns contravene international
// law and that shutdowns and the blocking of entire websites are an extreme
// and disproportionate measure that cannot be justified (paragraph 20 sets
// out their harm); paragraph 23 says that the providers asked to carry them
// out should challenge the requests, keep their customers informed and
// report the requests and the orders they implement. Paragraph 53(b)-(c)
// recommends that States avoid network disruptions and shutdowns at all
// times, particularly during assemblies, and repeal the laws that permit
// them; paragraph 54(d) that business enterprises challenge shutdown
// requests through available legal procedures and keep their customers
// informed of the requests and of any disruption orders implemented. Vigil
// does not weigh an order's reasons before flagging it: the flag states
// what the standard says of the measure, it is not a finding about one
// order, and it is the same for all (see Order.Flags). Recording every
// order is what makes each one visible and countable, which is the
// transparency paragraph 23 asks of the operators.
//
// The Service keeps the register: the operator's staff record an order
// (Service.Record) and then what becomes of it (Service.Update): it was
// challenged, carried out, its customers told, it ended, it was lifted.
// Each change is a new entry in the order's history and an event on the
// public log; nothing recorded is ever overwritten. The log carries the
// order's structured facts (country, kind and extent of the disruption,
// networks, named services, days, the operator's answers) and only
// commitments to the text the staff typed (issuing authority, legal basis,
// regions, notes); the register itself, with the text, is public on
// Vigil's pages.
//
// Orders are imported from and exported to the column layout of Access
// Now's STOP dataset (the #KeepItOn Shutdown Tracker Optimization Project)
// so that Vigil's records can be compared with, and contributed to, the
// public record of shutdowns; see ReadSTOP, WriteSTOP, Service.Import and
// Service.Export. STOP has no column for what the operator did, so those
// facts stay in Vigil.
package disrupt
