package assembly

// A crowd-size estimate for facilitation. Planning stewards, first aid,
// toilets, road closures and space for an assembly needs a rough number of
// attendees (A/HRC/44/24 para. 9; the UN's assemblies toolkit names
// "estimating the number of attendees, crowd density").
// The estimate here is Jacobs' method, area times density, worked out from
// the assembly's registered area or route and a few density bands. It uses
// no data about any person: no counts of phones, faces or tickets.

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// ErrNoArea means there is no area or route to measure: the assembly's
// Area is empty.
var ErrNoArea = errors.New("assembly: no area or route to estimate from")

// ErrNotPolygon means GeodesicArea was given a route; a route has an area
// only with a width (see EstimateCrowd).
var ErrNotPolygon = errors.New("assembly: the area is a route, not a Polygon or MultiPolygon")

// ErrNotRoute means GeodesicLength was given a Polygon or MultiPolygon.
var ErrNotRoute = errors.New("assembly: the area is not a LineString route")

// ErrHoles means a polygon's holes add up to more than its outer ring,
// which no valid GeoJSON polygon does (RFC 7946 §3.1.6).
var ErrHoles = errors.New("assembly: a polygon's holes cover more than its outer ring")

// ErrEstimateOptions means an EstimateOptions field is out of range; the
// message says which.
var ErrEstimateOptions = errors.New("assembly: estimate options out of range")

// The WGS 84 ellipsoid (NIMA TR8350.2), which GeoJSON positions refer to
// (RFC 7946 §4).
const (
	wgs84A = 6378137.0         // equatorial radius, metres
	wgs84F = 1 / 298.257223563 // flattening
)

var (
	wgs84E2 = wgs84F * (2 - wgs84F) // first eccentricity squared
	wgs84E  = math.Sqrt(wgs84E2)
	wgs84B  = wgs84A * (1 - wgs84F) // polar radius
	// authalicQP is q at the pole; see authalicLat.
	authalicQP = authalicQ(1)
	// authalicRadius is the radius of the sphere with the ellipsoid's
	// area, 6371007.1809 m.
	authalicRadius = wgs84A * math.Sqrt(authalicQP/2)
)

// GeodesicArea returns the area in square metres on the WGS 84 ellipsoid
// of a GeoJSON Polygon or MultiPolygon. In a polygon the first ring is the
// outer ring and later rings are holes, whose areas are subtracted;
// holes are taken to lie inside the outer ring (RFC 7946) and are not
// checked for it, but holes that add up to more than the outer ring give
// ErrHoles. A MultiPolygon's area is the sum of its polygons'.
//
// Winding order does not matter: a ring bounds the smaller of the two
// regions it divides the earth into (no assembly covers half the earth),
// so clockwise and counter-clockwise rings give the same area. Edges are
// geodesics, the shortest paths between positions.
//
// Method: the ellipsoid is mapped onto its authalic sphere (radius
// 6371007.1809 m), which has the same total area, by the authalic
// latitude, an equal-area map (Snyder, "Map Projections: A Working
// Manual", USGS PP 1395, 1987, eqs. 3-11, 3-12). The ring's area on that
// sphere is the spherical excess summed edge by edge, each edge's term the
// excess of the quadrilateral between the edge and the equator (Karney,
// "Algorithms for geodesics", J. Geodesy 87, 2013, eq. 60), with a pole
// encircled when the ring's longitudes wind once round. Because the map
// keeps area exactly, the only error is that a geodesic on the ellipsoid
// does not map exactly onto a great circle on the sphere; the relative
// error this leaves grows with the square of the polygon's size. Against
// GeographicLib's PolygonArea (Karney's algorithm, the reference) and its
// published test values: the 1°×1° cell at the equator is 2,104 m² short
// of 12,308,778,361 m² (1.7e-7), polygons one to two degrees across are
// within 1.5e-6, an octant of the earth is exact; for an assembly a few
// kilometres across that is below 1e-9, less than a square metre. This is
// not Karney's algorithm, which solves each edge as an ellipsoidal
// geodesic and is exact to rounding; it is the spherical excess on the
// authalic sphere with one correction, the authalic latitude. Without it,
// with geodetic latitudes taken as spherical ones, the authalic sphere is
// off by -0.45% at the equator to +0.9% at the poles (+0.39% in
// Amsterdam); turf.js and mapbox geojson-area (the "ringArea" formula of
// Chamberlain and Duquette, JPL Publication 07-03, 2007) do that on a
// sphere of radius 6378137 m.
//
// An empty area gives ErrNoArea; GeoJSON that CheckArea refuses gives its
// error (wrapping ErrInvalid); a LineString gives ErrNotPolygon.
func GeodesicArea(geojson string) (float64, error) {
	g, err := parseArea(geojson)
	if err != nil {
		return 0, err
	}
	if g.polygons == nil {
		return 0, ErrNotPolygon
	}
	var sum float64
	for _, p := range g.polygons {
		a, err := polygonArea(p)
		if err != nil {
			return 0, err
		}
		sum += a
	}
	return sum, nil
}

// GeodesicLength returns the length in metres on the WGS 84 ellipsoid of
// a GeoJSON LineString route: the sum of the geodesic distances between
// its consecutive positions.
//
// Method: Vincenty's inverse formula (Vincenty, "Direct and inverse
// solutions of geodesics on the ellipsoid", Survey Review 23(176), 1975),
// accurate to about 0.5 mm. Where Vincenty's iteration does not converge,
// which happens only between nearly antipodal positions, the distance is
// the great-circle distance on the authalic sphere, within 0.6%; no route
// of an assembly has a segment half way round the earth.
//
// An empty area gives ErrNoArea; GeoJSON that CheckArea refuses gives its
// error (wrapping ErrInvalid); a Polygon or MultiPolygon gives ErrNotRoute.
func GeodesicLength(geojson string) (float64, error) {
	g, err := parseArea(geojson)
	if err != nil {
		return 0, err
	}
	if g.line == nil {
		return 0, ErrNotRoute
	}
	return lineLength(g.line), nil
}

// geometry is a parsed area: polygons for a Polygon (one) or MultiPolygon,
// line for a LineString route. Positions are [longitude, latitude, ...].
type geometry struct {
	polygons [][][][]float64
	line     [][]float64
}

// parseArea checks s with CheckArea and parses it.
func parseArea(s string) (geometry, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return geometry{}, ErrNoArea
	}
	if err := CheckArea(s); err != nil {
		return geometry{}, err
	}
	var raw struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	}
	// CheckArea has parsed the same text the same way, so these cannot
	// fail; the errors are returned all the same.
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return geometry{}, fmt.Errorf("assembly: area: %w", err)
	}
	var g geometry
	var err error
	switch raw.Type {
	case "LineString":
		err = json.Unmarshal(raw.Coordinates, &g.line)
	case "Polygon":
		var p [][][]float64
		err = json.Unmarshal(raw.Coordinates, &p)
		g.polygons = [][][][]float64{p}
	case "MultiPolygon":
		err = json.Unmarshal(raw.Coordinates, &g.polygons)
	}
	if err != nil {
		return geometry{}, fmt.Errorf("assembly: area: %w", err)
	}
	return g, nil
}

// polygonArea is the outer ring's area less its holes'.
func polygonArea(rings [][][]float64) (float64, error) {
	outer := ringArea(rings[0])
	area := outer
	for _, hole := range rings[1:] {
		area -= ringArea(hole)
	}
	if area < 0 {
		// A hole that is the outer ring may come out a rounding error
		// larger; that is an area of 0, not a mistake.
		if area < -1e-9*outer || outer == 0 {
			return 0, ErrHoles
		}
		area = 0
	}
	return area, nil
}

// ringArea returns the area in square metres of the smaller of the two
// regions a closed ring divides the ellipsoid into.
func ringArea(ring [][]float64) float64 {
	// excess is the sum of each edge's signed spherical excess of the
	// quadrilateral between the edge, the equator and the meridians at its
	// ends, positive for an edge heading east north of the equator. turn
	// is the ring's total change in longitude: 2π times the number of
	// times it winds round the poles.
	var excess, turn float64
	t1 := math.Tan(authalicLat(ring[0][1]) / 2)
	for i := 1; i < len(ring); i++ {
		t2 := math.Tan(authalicLat(ring[i][1]) / 2)
		dlon := lonDiff(ring[i-1][0], ring[i][0])
		// tan(E/2) = tan(Δλ/2) (tan(ξ1/2) + tan(ξ2/2)) / (1 + tan(ξ1/2) tan(ξ2/2));
		// 1 + t1 t2 ≥ 0 since |t| ≤ 1, so atan2 is atan here, and
		// well defined for an edge from pole to pole.
		excess += 2 * math.Atan2(math.Tan(dlon/2)*(t1+t2), 1+t1*t2)
		turn += dlon
		t1 = t2
	}
	// The region to the left of the ring has area 2πk - excess (mod 4π)
	// on the unit sphere, where k is the number of windings: for k = 0
	// the excess itself, for a ring round a pole the cap beyond it. The
	// region to the right is the rest, 4π less. The smaller of the two is
	// the distance from 2πk - excess to the nearest multiple of 4π, which
	// keeps full precision for a small ring.
	k := math.Round(turn / (2 * math.Pi))
	return authalicRadius * authalicRadius * math.Abs(math.Remainder(2*math.Pi*k-excess, 4*math.Pi))
}

// lonDiff returns lon2 - lon1 in radians, in [-π, π], for longitudes in
// degrees: the change in longitude along the shorter way round.
func lonDiff(lon1, lon2 float64) float64 {
	return math.Remainder(lon2-lon1, 360) * math.Pi / 180
}

// authalicQ is q(φ) from Snyder eq. 3-12 for sinLat = sin φ.
func authalicQ(sinLat float64) float64 {
	return (1 - wgs84E2) * (sinLat/(1-wgs84E2*sinLat*sinLat) + math.Atanh(wgs84E*sinLat)/wgs84E)
}

// authalicLat returns the authalic latitude ξ in radians of the geodetic
// latitude lat in degrees: the latitude on the authalic sphere with the
// same area between it and the equator (Snyder eq. 3-11).
func authalicLat(lat float64) float64 {
	s := authalicQ(math.Sin(lat*math.Pi/180)) / authalicQP
	return math.Asin(max(-1, min(1, s)))
}

// lineLength sums the geodesic distances along a line.
func lineLength(line [][]float64) float64 {
	var sum float64
	for i := 1; i < len(line); i++ {
		sum += geodesicDistance(line[i-1][0], line[i-1][1], line[i][0], line[i][1])
	}
	return sum
}

// geodesicDistance returns the geodesic distance in metres on the WGS 84
// ellipsoid between two positions given in degrees, by Vincenty's inverse
// formula, or the authalic great-circle distance where it does not
// converge.
func geodesicDistance(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	l := lonDiff(lon1, lon2)
	// Reduced latitudes on the auxiliary sphere.
	sinU1, cosU1 := math.Sincos(math.Atan2((1-wgs84F)*math.Sin(lat1*rad), math.Cos(lat1*rad)))
	sinU2, cosU2 := math.Sincos(math.Atan2((1-wgs84F)*math.Sin(lat2*rad), math.Cos(lat2*rad)))
	lambda := l
	for range 200 {
		sinLambda, cosLambda := math.Sincos(lambda)
		sinSigma := math.Hypot(cosU2*sinLambda, cosU1*sinU2-sinU1*cosU2*cosLambda)
		if sinSigma == 0 {
			return 0 // the same position
		}
		cosSigma := sinU1*sinU2 + cosU1*cosU2*cosLambda
		sigma := math.Atan2(sinSigma, cosSigma)
		sinAlpha := cosU1 * cosU2 * sinLambda / sinSigma
		cos2Alpha := 1 - sinAlpha*sinAlpha
		cos2SigmaM := 0.0 // on the equator
		if cos2Alpha != 0 {
			cos2SigmaM = cosSigma - 2*sinU1*sinU2/cos2Alpha
		}
		c := wgs84F / 16 * cos2Alpha * (4 + wgs84F*(4-3*cos2Alpha))
		prev := lambda
		lambda = l + (1-c)*wgs84F*sinAlpha*(sigma+c*sinSigma*(cos2SigmaM+c*cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)))
		if math.Abs(lambda) > math.Pi {
			break // nearly antipodal: the iteration has run away
		}
		if math.Abs(lambda-prev) < 1e-12 {
			u2 := cos2Alpha * (wgs84A*wgs84A - wgs84B*wgs84B) / (wgs84B * wgs84B)
			a := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
			b := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
			dSigma := b * sinSigma * (cos2SigmaM + b/4*(cosSigma*(-1+2*cos2SigmaM*cos2SigmaM)-
				b/6*cos2SigmaM*(-3+4*sinSigma*sinSigma)*(-3+4*cos2SigmaM*cos2SigmaM)))
			return wgs84B * a * (sigma - dSigma)
		}
	}
	return greatCircleDistance(lon1, lat1, lon2, lat2)
}

// greatCircleDistance is the haversine distance in metres on the authalic
// sphere between positions in degrees.
func greatCircleDistance(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	s := math.Sin((lat2 - lat1) * rad / 2)
	t := math.Sin(lonDiff(lon1, lon2) / 2)
	h := s*s + math.Cos(lat1*rad)*math.Cos(lat2*rad)*t*t
	return 2 * authalicRadius * math.Asin(math.Sqrt(min(1, h)))
}

// Band is a crowd density: how many people stand on each square metre of
// the usable area.
type Band struct {
	Name           string
	PerSquareMetre float64
}

// DefaultBands returns the light, moderate and dense bands that
// EstimateCrowd uses unless told otherwise:
//
//   - light, 0.5 people/m²: people stand apart with room to walk between
//     them, as at the thin edges and the back of a crowd.
//   - moderate, 1.5 people/m²: between Jacobs' "loose crowd" (one person
//     per 10 sq ft, about 1.1/m²) and 2/m², where G. Keith Still
//     describes people as close but still moving freely.
//   - dense, 2.5 people/m²: Jacobs' "dense crowd" (one person per 4.5 sq
//     ft, about 2.4/m²), shoulder to shoulder.
//
// Above this lies danger, not a planning figure: Still puts the critical
// density of a moving crowd at about 4 people/m², where people can no
// longer move without pushing their neighbours and a fall can cascade,
// and a standing crowd beyond about 5/m² at risk of crowd crush and
// collapse.
//
// Sources: Herbert Jacobs' area-times-density method, devised at UC
// Berkeley in the 1960s and since the usual way crowds are estimated,
// with his rules of thumb as widely reported; G. Keith Still,
// "Introduction to Crowd Science", CRC Press, 2014, and his interview on
// dangerous crowd density with CNN, October 2022. Such estimates serve
// facilitation (A/HRC/44/24 para. 9); they are a range, never a count.
func DefaultBands() []Band {
	return []Band{
		{Name: "light", PerSquareMetre: 0.5},
		{Name: "moderate", PerSquareMetre: 1.5},
		{Name: "dense", PerSquareMetre: 2.5},
	}
}

// Defaults for EstimateOptions.
const (
	// DefaultRouteWidth is the width in metres of a street a march fills,
	// carriageway and pavements of an ordinary city street.
	DefaultRouteWidth = 10.0
	// DefaultOccupancy is the fraction of an area people can stand in.
	// Squares, parks and streets hold trees, street furniture, kerbs,
	// stages, vehicles and kept-open lanes for emergency services, and
	// crowds thin out at their edges; 0.7 is a planning assumption, not a
	// measured constant, to be replaced by what a site visit shows.
	DefaultOccupancy = 0.7
	// MaxRouteWidth bounds RouteWidth: anything wider is an area, to be
	// drawn as a Polygon.
	MaxRouteWidth = 1000.0
	// MaxDensity bounds a band's PerSquareMetre: twice the crush
	// threshold, so anything denser is a mistake in the options.
	MaxDensity = 10.0
)

// EstimateOptions tunes EstimateCrowd. The zero value uses the defaults.
type EstimateOptions struct {
	// RouteWidth is the width in metres people walk in along a route; 0
	// means DefaultRouteWidth. Not used for polygons.
	RouteWidth float64
	// Occupancy is the fraction of the area people can stand in, in
	// (0, 1]; 0 means DefaultOccupancy.
	Occupancy float64
	// Bands are the light, moderate and dense bands, in that order and of
	// increasing density; nil means DefaultBands.
	Bands []Band
}

// BandEstimate is the number of people the usable area holds at one band.
type BandEstimate struct {
	Band   Band
	People int
}

// Estimate is a crowd size worked out from an area and densities alone.
type Estimate struct {
	// AreaSquareMetres is the whole area: for a route, its length times
	// the route width.
	AreaSquareMetres float64
	// RouteMetres is a route's length; 0 for a polygon.
	RouteMetres float64
	// Low, Likely and High are the people at the light, moderate and
	// dense bands: Low ≤ Likely ≤ High.
	Low, Likely, High int
	// Bands has each band's estimate, in the order of the options.
	Bands []BandEstimate
	// Note says how the estimate was made and what it is not.
	Note string
}

// EstimateCrowd estimates how many people an assembly's area or route
// holds: the area (GeodesicArea, or for a LineString route GeodesicLength
// times RouteWidth) times Occupancy times each band's density. Each
// figure is rounded to two significant figures (12,345 becomes 12,000;
// below 10 to a whole number), since the inputs are not known better than
// that. For a route the figures are the people present at once if the
// whole route is filled, not how many walk it over the day.
//
// An empty area gives ErrNoArea; GeoJSON that CheckArea refuses gives its
// error (wrapping ErrInvalid); options out of range give an error wrapping
// ErrEstimateOptions.
func EstimateCrowd(area string, opts EstimateOptions) (Estimate, error) {
	if err := opts.fill(); err != nil {
		return Estimate{}, err
	}
	g, err := parseArea(area)
	if err != nil {
		return Estimate{}, err
	}
	var e Estimate
	if g.line != nil {
		e.RouteMetres = lineLength(g.line)
		e.AreaSquareMetres = e.RouteMetres * opts.RouteWidth
	} else {
		for _, p := range g.polygons {
			a, err := polygonArea(p)
			if err != nil {
				return Estimate{}, err
			}
			e.AreaSquareMetres += a
		}
	}
	usable := e.AreaSquareMetres * opts.Occupancy
	for _, b := range opts.Bands {
		e.Bands = append(e.Bands, BandEstimate{Band: b, People: roundSignificant(usable * b.PerSquareMetre)})
	}
	e.Low, e.Likely, e.High = e.Bands[0].People, e.Bands[1].People, e.Bands[2].People

	var note strings.Builder
	note.WriteString("Estimated from area and density alone, with no data about any person. ")
	if g.line != nil {
		fmt.Fprintf(&note, "A route of %.0f m taken as %g m wide; the figures are the people present at once if the whole route is filled. ", e.RouteMetres, opts.RouteWidth)
	}
	fmt.Fprintf(&note, "%.0f m², of which %.0f%% taken as usable, at %g, %g and %g people per m². ",
		e.AreaSquareMetres, opts.Occupancy*100, opts.Bands[0].PerSquareMetre, opts.Bands[1].PerSquareMetre, opts.Bands[2].PerSquareMetre)
	note.WriteString("A range for planning, not a count; above about 4 people per m² a crowd is at risk of crush.")
	e.Note = note.String()
	return e, nil
}

// fill puts the defaults in o's zero fields and checks the rest.
func (o *EstimateOptions) fill() error {
	if o.RouteWidth == 0 {
		o.RouteWidth = DefaultRouteWidth
	}
	if o.Occupancy == 0 {
		o.Occupancy = DefaultOccupancy
	}
	if o.Bands == nil {
		o.Bands = DefaultBands()
	}
	// The comparisons are written so that NaN fails them.
	if !(o.RouteWidth > 0 && o.RouteWidth <= MaxRouteWidth) {
		return fmt.Errorf("%w: route width %g m is not in (0, %g]", ErrEstimateOptions, o.RouteWidth, MaxRouteWidth)
	}
	if !(o.Occupancy > 0 && o.Occupancy <= 1) {
		return fmt.Errorf("%w: occupancy %g is not in (0, 1]", ErrEstimateOptions, o.Occupancy)
	}
	if len(o.Bands) != 3 {
		return fmt.Errorf("%w: %d bands, want light, moderate and dense", ErrEstimateOptions, len(o.Bands))
	}
	prev := 0.0
	for _, b := range o.Bands {
		if !(b.PerSquareMetre > prev && b.PerSquareMetre <= MaxDensity) {
			return fmt.Errorf("%w: band %q: %g people per m² is not above the band before and at most %g", ErrEstimateOptions, b.Name, b.PerSquareMetre, MaxDensity)
		}
		prev = b.PerSquareMetre
	}
	return nil
}

// roundSignificant rounds a non-negative x to two significant figures,
// or to a whole number below 10, half away from zero.
func roundSignificant(x float64) int {
	if !(x >= 0) { // also NaN, which cannot arise from checked inputs
		return 0
	}
	if x < 10 {
		return int(math.Round(x))
	}
	// Far beyond any crowd, but keep the conversion to int defined.
	x = min(x, 1e18)
	p := math.Pow(10, math.Floor(math.Log10(x))-1)
	return int(math.Round(x/p) * p)
}
