package assembly

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// rect returns a GeoJSON ring, counter-clockwise, round the box between
// two corners given as longitude, latitude.
func rect(lon0, lat0, lon1, lat1 float64) string {
	return fmt.Sprintf("[[%v,%v],[%v,%v],[%v,%v],[%v,%v],[%v,%v]]", lon0, lat0, lon1, lat0, lon1, lat1, lon0, lat1, lon0, lat0)
}

// planarRect is the area of the same box worked out another way than
// GeodesicArea: flat, with the ellipsoid's metres per degree at its middle
// latitude, from the meridional radius M and the prime vertical radius N.
// For boxes of a few hundred metres it is right to about 1e-9.
func planarRect(lon0, lat0, lon1, lat1 float64) float64 {
	const a, f = 6378137.0, 1 / 298.257223563
	e2 := f * (2 - f)
	phi := (lat0 + lat1) / 2 * math.Pi / 180
	w := 1 - e2*math.Sin(phi)*math.Sin(phi)
	n := a / math.Sqrt(w)
	m := a * (1 - e2) / (w * math.Sqrt(w))
	perDegLon := math.Pi / 180 * n * math.Cos(phi)
	perDegLat := math.Pi / 180 * m
	return math.Abs(lon1-lon0) * perDegLon * math.Abs(lat1-lat0) * perDegLat
}

func polygon(rings ...string) string {
	return `{"type":"Polygon","coordinates":[` + strings.Join(rings, ",") + `]}`
}

func TestGeodesicArea(t *testing.T) {
	// A/B: two blocks of central Amsterdam, about 680 m × 560 m and
	// 340 m × 220 m; H: a hole in A.
	a := [4]float64{4.88, 52.37, 4.89, 52.375}
	b := [4]float64{4.895, 52.36, 4.9, 52.362}
	h := [4]float64{4.882, 52.371, 4.884, 52.372}
	for _, tc := range []struct {
		name string
		area string
		want float64
		tol  float64 // relative
	}{
		// GeographicLib (Karney) gives 12,308,778,361 m² for the 1°×1°
		// cell at the equator. The spherical excess on the authalic sphere
		// with geodetic latitudes, 12,364,036,567 m², is 0.45% off and
		// fails this tolerance.
		{"equator 1°×1°", polygon(rect(0, 0, 1, 1)), 12308778361, 1e-6},
		// Planar check near Amsterdam; the uncorrected authalic sphere is
		// 0.39% too large here.
		{"Amsterdam", polygon(rect(a[0], a[1], a[2], a[3])), planarRect(a[0], a[1], a[2], a[3]), 1e-6},
		{"Amsterdam with a hole", polygon(rect(a[0], a[1], a[2], a[3]), rect(h[0], h[1], h[2], h[3])),
			planarRect(a[0], a[1], a[2], a[3]) - planarRect(h[0], h[1], h[2], h[3]), 1e-6},
		{"MultiPolygon", `{"type":"MultiPolygon","coordinates":[[` + rect(a[0], a[1], a[2], a[3]) + `],[` + rect(b[0], b[1], b[2], b[3]) + `]]}`,
			planarRect(a[0], a[1], a[2], a[3]) + planarRect(b[0], b[1], b[2], b[3]), 1e-6},
		// GeographicLib's own planimeter tests (geographiclib-python
		// test_geodesic.py, PlanimeterTest), positions turned to [lon, lat].
		{"diamond round the origin", polygon(`[[-1,0],[0,-1],[1,0],[0,1],[-1,0]]`), 24619419146.0, 1e-6},
		{"triangle", polygon(`[[1,2],[2,1],[3,3],[1,2]]`), 18454562325.45119, 2e-6},
		{"octant", polygon(`[[0,90],[0,0],[90,0],[0,90]]`), 63758202715511.0, 1e-12},
		{"round the north pole", polygon(`[[0,89],[90,89],[180,89],[-90,89],[0,89]]`), 24952305678.0, 1e-6},
		{"round the south pole", polygon(`[[0,-89],[90,-89],[180,-89],[-90,-89],[0,-89]]`), 24952305678.0, 1e-6},
		{"round the pole, across the antimeridian", polygon(`[[0.1,89],[90.1,89],[-179.9,89],[0.1,89]]`), 12476152838.5, 1e-6},
		{"across the antimeridian", polygon(`[[179.999,0],[-179.999,0],[-179.999,0.001],[179.999,0.001],[179.999,0]]`),
			planarRect(0, 0, 0.002, 0.001), 1e-6},
		{"hole the size of the ring", polygon(rect(a[0], a[1], a[2], a[3]), rect(a[0], a[1], a[2], a[3])), 0, 0},
		{"no width", polygon(`[[4.88,52.37],[4.89,52.37],[4.88,52.37],[4.88,52.37]]`), 0, 0},
		{"with altitudes", polygon(`[[4.88,52.37,1],[4.89,52.37,2],[4.89,52.375,3],[4.88,52.375,4],[4.88,52.37,1]]`), planarRect(a[0], a[1], a[2], a[3]), 1e-6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GeodesicArea(tc.area)
			if err != nil {
				t.Fatal(err)
			}
			if d := math.Abs(got - tc.want); d > tc.tol*tc.want {
				t.Errorf("GeodesicArea = %.3f m², want %.3f ± %.3g (off by %.3g, %.2g relative)", got, tc.want, tc.tol*tc.want, d, d/tc.want)
			}
		})
	}
}

func TestGeodesicAreaWinding(t *testing.T) {
	for _, ring := range []string{
		rect(4.88, 52.37, 4.89, 52.375),
		rect(0, 0, 1, 1),
		`[[-1,0],[0,-1],[1,0],[0,1],[-1,0]]`,
		`[[0,89],[90,89],[180,89],[-90,89],[0,89]]`,
		`[[179.999,-0.5],[-179.999,-0.5],[-179.999,0.5],[179.999,0.5],[179.999,-0.5]]`,
		`[[-58.40,-34.60],[-58.37,-34.61],[-58.36,-34.58],[-58.39,-34.57],[-58.40,-34.60]]`,
	} {
		t.Run(ring, func(t *testing.T) {
			var pos [][2]float64
			for _, p := range strings.Split(strings.Trim(ring, "[]"), "],[") {
				var lon, lat float64
				if _, err := fmt.Sscanf(p, "%g,%g", &lon, &lat); err != nil {
					t.Fatal(err)
				}
				pos = append(pos, [2]float64{lon, lat})
			}
			var rev []string
			for i := len(pos) - 1; i >= 0; i-- {
				rev = append(rev, fmt.Sprintf("[%v,%v]", pos[i][0], pos[i][1]))
			}
			ccw, err1 := GeodesicArea(polygon(ring))
			cw, err2 := GeodesicArea(polygon("[" + strings.Join(rev, ",") + "]"))
			if err1 != nil || err2 != nil {
				t.Fatal(err1, err2)
			}
			if ccw <= 0 || math.Abs(ccw-cw) > 1e-9*ccw {
				t.Errorf("one way round %.6f m², the other %.6f m²", ccw, cw)
			}
		})
	}
}

func TestGeodesicLength(t *testing.T) {
	for _, tc := range []struct {
		name  string
		route string
		want  float64
		tol   float64 // metres
	}{
		// Along the equator the geodesic is the equator: a × Δλ.
		{"equator 0.01°", `[[0,0],[0.01,0]]`, 6378137 * 0.01 * math.Pi / 180, 1e-6},
		{"equator 0.01° westward", `[[0.01,0],[0,0]]`, 6378137 * 0.01 * math.Pi / 180, 1e-6},
		{"equator 179°", `[[0,0],[179,0]]`, 19926189, 0.5},
		// Quarter meridian of WGS 84.
		{"equator to pole", `[[0,0],[0,90]]`, 10001965.7293, 1e-3},
		// GeographicLib test values (geographiclib-python test_geodesic.py),
		// longitudes brought into ±180.
		{"GeodTest 1", `[[-139.44815,35.60777],[-69.95921,-11.17491]]`, 8935244.5604818305, 1e-3},
		{"GeodTest 2", `[[106.05087,55.52454],[-162.81766,77.03196]]`, 4105086.1713924406, 1e-3},
		{"GeodTest 4", `[[112.2363,-66.99028],[-74.09656,-12.70631]]`, 11150344.2312080241, 1e-3},
		{"GeodTest 7", `[[52.74123,6.96833],[-153.82709,-7.39675]]`, 17102477.2496958388, 1e-3},
		{"short line", `[[0,36.493349428792],[0.0000008,36.49334942879201]]`, 0.072, 0.5e-3},
		{"pole, origin, equator", `[[0,90],[0,0],[90,0]]`, 20020719, 1},
		// Nearly antipodal: Vincenty does not converge and the authalic
		// great circle stands in, within the documented 0.6%.
		{"nearly antipodal", `[[0,0],[179.5,0]]`, 19980862, 0.006 * 19980862},
		{"one position twice", `[[4.88,52.37],[4.88,52.37]]`, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := GeodesicLength(`{"type":"LineString","coordinates":` + tc.route + `}`)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > tc.tol {
				t.Errorf("GeodesicLength = %.6f m, want %.6f ± %g", got, tc.want, tc.tol)
			}
		})
	}
}

func TestGeodesicErrors(t *testing.T) {
	route := `{"type":"LineString","coordinates":[[4.88,52.37],[4.90,52.36]]}`
	square := polygon(rect(4.88, 52.37, 4.89, 52.375))
	for _, tc := range []struct {
		name    string
		measure func(string) (float64, error)
		area    string
		want    error
	}{
		{"area of nothing", GeodesicArea, "", ErrNoArea},
		{"area of blanks", GeodesicArea, " \n", ErrNoArea},
		{"length of nothing", GeodesicLength, "", ErrNoArea},
		{"area of a route", GeodesicArea, route, ErrNotPolygon},
		{"length of a polygon", GeodesicLength, square, ErrNotRoute},
		{"not JSON", GeodesicArea, "not json", ErrInvalid},
		{"a point", GeodesicArea, `{"type":"Point","coordinates":[0,0]}`, ErrInvalid},
		{"open ring", GeodesicArea, polygon(`[[0,0],[1,0],[1,1],[0,1]]`), ErrInvalid},
		{"latitude out of range", GeodesicLength, `{"type":"LineString","coordinates":[[0,-91],[0,0]]}`, ErrInvalid},
		{"hole larger than ring", GeodesicArea, polygon(rect(4.882, 52.371, 4.884, 52.372), rect(4.88, 52.37, 4.89, 52.375)), ErrHoles},
		{"hole in a ring of no area", GeodesicArea, polygon(`[[0,0],[1,0],[0,0],[0,0]]`, rect(0, 0, 1, 1)), ErrHoles},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.measure(tc.area)
			if !errors.Is(err, tc.want) || got != 0 {
				t.Errorf("= %v, %v; want 0, %v", got, err, tc.want)
			}
		})
	}
}

func TestEstimateCrowd(t *testing.T) {
	// 0.01° of the equator, 1113.19 m: 11,131.9 m² at 10 m wide, 7,792.4 m²
	// of it usable at 0.7.
	route := `{"type":"LineString","coordinates":[[0,0],[0.01,0]]}`
	routeMetres := 6378137 * 0.01 * math.Pi / 180
	square := polygon(rect(4.88, 52.37, 4.89, 52.375))
	squareArea, err := GeodesicArea(square)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name              string
		area              string
		opts              EstimateOptions
		wantArea, wantRun float64
		low, likely, high int
	}{
		// 3,896 → 3,900; 11,688 → 12,000; 19,481 → 19,000.
		{"route, defaults", route, EstimateOptions{}, routeMetres * 10, routeMetres, 3900, 12000, 19000},
		// 5,566 m² usable: 5,566 → 5,600; 11,132 → 11,000; 22,264 → 22,000.
		{"route, options", route, EstimateOptions{RouteWidth: 5, Occupancy: 1, Bands: []Band{{"a", 1}, {"b", 2}, {"c", 4}}},
			routeMetres * 5, routeMetres, 5600, 11000, 22000},
		// 380,000 m² and more: 0.7 × 0.5 × 380,000 ≈ 130,000.
		{"square, defaults", square, EstimateOptions{}, squareArea, 0,
			roundSignificant(squareArea * 0.7 * 0.5), roundSignificant(squareArea * 0.7 * 1.5), roundSignificant(squareArea * 0.7 * 2.5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := EstimateCrowd(tc.area, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(e.AreaSquareMetres-tc.wantArea) > 1e-6*tc.wantArea || math.Abs(e.RouteMetres-tc.wantRun) > 1e-6 {
				t.Errorf("area %.3f m², route %.3f m; want %.3f, %.3f", e.AreaSquareMetres, e.RouteMetres, tc.wantArea, tc.wantRun)
			}
			if e.Low != tc.low || e.Likely != tc.likely || e.High != tc.high {
				t.Errorf("low, likely, high = %d, %d, %d; want %d, %d, %d", e.Low, e.Likely, e.High, tc.low, tc.likely, tc.high)
			}
			if !(0 < e.Low && e.Low < e.Likely && e.Likely < e.High) {
				t.Errorf("bands out of order: %d, %d, %d", e.Low, e.Likely, e.High)
			}
			if len(e.Bands) != 3 || e.Bands[0].People != e.Low || e.Bands[1].People != e.Likely || e.Bands[2].People != e.High {
				t.Errorf("Bands = %+v", e.Bands)
			}
			if !strings.Contains(e.Note, "no data about any person") {
				t.Errorf("Note = %q", e.Note)
			}
			if (e.RouteMetres > 0) != strings.Contains(e.Note, "route") {
				t.Errorf("Note = %q, for a route: %v", e.Note, e.RouteMetres > 0)
			}
		})
	}
}

func TestDefaultBands(t *testing.T) {
	b := DefaultBands()
	if len(b) != 3 || b[0].Name != "light" || b[1].Name != "moderate" || b[2].Name != "dense" {
		t.Fatalf("DefaultBands = %+v", b)
	}
	for i, want := range []float64{0.5, 1.5, 2.5} {
		if b[i].PerSquareMetre != want {
			t.Errorf("%s = %g people/m², want %g", b[i].Name, b[i].PerSquareMetre, want)
		}
	}
	// Planning figures stay below the density where crowds are at risk.
	if b[2].PerSquareMetre >= 4 {
		t.Errorf("the dense band is in crush territory")
	}
	b[0].PerSquareMetre = 100
	if DefaultBands()[0].PerSquareMetre != 0.5 {
		t.Errorf("DefaultBands shares its slice")
	}
}

func TestEstimateCrowdErrors(t *testing.T) {
	square := polygon(rect(4.88, 52.37, 4.89, 52.375))
	for _, tc := range []struct {
		name string
		area string
		opts EstimateOptions
		want error
	}{
		{"no area", "", EstimateOptions{}, ErrNoArea},
		{"not JSON", "{", EstimateOptions{}, ErrInvalid},
		{"a point", `{"type":"Point","coordinates":[0,0]}`, EstimateOptions{}, ErrInvalid},
		{"holes too large", polygon(rect(4.882, 52.371, 4.884, 52.372), rect(4.88, 52.37, 4.89, 52.375)), EstimateOptions{}, ErrHoles},
		{"negative width", square, EstimateOptions{RouteWidth: -1}, ErrEstimateOptions},
		{"width NaN", square, EstimateOptions{RouteWidth: math.NaN()}, ErrEstimateOptions},
		{"width of an area", square, EstimateOptions{RouteWidth: 1001}, ErrEstimateOptions},
		{"occupancy above 1", square, EstimateOptions{Occupancy: 1.5}, ErrEstimateOptions},
		{"negative occupancy", square, EstimateOptions{Occupancy: -0.1}, ErrEstimateOptions},
		{"two bands", square, EstimateOptions{Bands: []Band{{"a", 1}, {"b", 2}}}, ErrEstimateOptions},
		{"no bands", square, EstimateOptions{Bands: []Band{}}, ErrEstimateOptions},
		{"bands out of order", square, EstimateOptions{Bands: []Band{{"a", 1}, {"b", 3}, {"c", 2}}}, ErrEstimateOptions},
		{"equal bands", square, EstimateOptions{Bands: []Band{{"a", 1}, {"b", 1}, {"c", 2}}}, ErrEstimateOptions},
		{"zero density", square, EstimateOptions{Bands: []Band{{"a", 0}, {"b", 1}, {"c", 2}}}, ErrEstimateOptions},
		{"density NaN", square, EstimateOptions{Bands: []Band{{"a", 1}, {"b", math.NaN()}, {"c", 2}}}, ErrEstimateOptions},
		{"impossible density", square, EstimateOptions{Bands: []Band{{"a", 1}, {"b", 2}, {"c", 11}}}, ErrEstimateOptions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := EstimateCrowd(tc.area, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Errorf("EstimateCrowd = %+v, %v; want %v", e, err, tc.want)
			}
		})
	}
}

func TestRoundSignificant(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want int
	}{
		{0, 0}, {0.4, 0}, {0.5, 1}, {4.4, 4}, {9.4, 9}, {9.6, 10}, {10, 10}, {12.3, 12}, {99.6, 100},
		{125, 130}, {3896.18, 3900}, {11688.5, 12000}, {19480.9, 19000}, {987654, 990000}, {1.04e9, 1_000_000_000},
		{-3, 0}, {math.NaN(), 0}, {math.Inf(1), 1_000_000_000_000_000_000},
	} {
		t.Run(fmt.Sprint(tc.x), func(t *testing.T) {
			if got := roundSignificant(tc.x); got != tc.want {
				t.Errorf("roundSignificant(%g) = %d, want %d", tc.x, got, tc.want)
			}
		})
	}
}

func FuzzGeodesicArea(f *testing.F) {
	for _, s := range []string{
		polygon(rect(4.88, 52.37, 4.89, 52.375)),
		polygon(rect(4.88, 52.37, 4.89, 52.375), rect(4.882, 52.371, 4.884, 52.372)),
		polygon(`[[0,89],[90,89],[180,89],[-90,89],[0,89]]`),
		polygon(`[[179.999,-0.5],[-179.999,-0.5],[-179.999,0.5],[179.999,0.5],[179.999,-0.5]]`),
		polygon(`[[0,90],[0,0],[90,0],[0,90]]`),
		polygon(`[[0,90],[0,-90],[180,0],[0,90]]`),
		polygon(`[[-1e-14,9],[180,9],[0,9],[-1e-14,9]]`),
		`{"type":"MultiPolygon","coordinates":[[` + rect(0, 0, 1, 1) + `],[` + rect(2, 2, 3, 3) + `]]}`,
		`{"type":"LineString","coordinates":[[4.88,52.37],[4.90,52.36],[4.91,52.37]]}`,
		`{"type":"LineString","coordinates":[[0,0],[180,0],[0,0.0001]]}`,
		`{"type":"Point","coordinates":[0,0]}`,
		"",
	} {
		f.Add(s)
	}
	earth := 4 * math.Pi * authalicRadius * authalicRadius
	f.Fuzz(func(t *testing.T, s string) {
		area, err := GeodesicArea(s)
		length, lerr := GeodesicLength(s)
		e, eerr := EstimateCrowd(s, EstimateOptions{})
		if CheckArea(strings.TrimSpace(s)) != nil {
			if err == nil || lerr == nil || eerr == nil {
				t.Fatalf("CheckArea refuses %q, the rest accept it: %v, %v, %v", s, err, lerr, eerr)
			}
			return
		}
		switch {
		case err == nil:
			// Each polygon is at most half the earth; overlapping
			// polygons of a MultiPolygon may add up to more.
			var g struct{ Type string }
			_ = json.Unmarshal([]byte(s), &g)
			if !(area >= 0) || math.IsInf(area, 0) || (g.Type == "Polygon" && area > earth/2*(1+1e-9)) {
				t.Fatalf("GeodesicArea(%q) = %v", s, area)
			}
		case !errors.Is(err, ErrNotPolygon) && !errors.Is(err, ErrHoles):
			t.Fatalf("GeodesicArea(%q): %v", s, err)
		}
		if lerr == nil && (!(length >= 0) || math.IsInf(length, 0)) {
			t.Fatalf("GeodesicLength(%q) = %v", s, length)
		}
		if eerr == nil && !(0 <= e.Low && e.Low <= e.Likely && e.Likely <= e.High) {
			t.Fatalf("EstimateCrowd(%q) = %+v", s, e)
		}
	})
}
