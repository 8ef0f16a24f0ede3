//! Distances between PC4 centroids.

/// The mean Earth radius used for distances (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Great-circle distance in km (haversine, mean Earth radius 6371.0088 km).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
}

/// A band for showing distance without revealing an address (used for anonymised profiles).
pub fn distance_band(km: f64) -> &'static str {
    match km {
        d if d < 5.0 => "0-5 km",
        d if d < 10.0 => "5-10 km",
        d if d < 20.0 => "10-20 km",
        d if d < 40.0 => "20-40 km",
        _ => "40+ km",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn amsterdam_utrecht() {
        // Dam square to Utrecht Dom: about 35 km
        let d = super::haversine_km(52.3731, 4.8922, 52.0907, 5.1214);
        assert!((d - 35.0).abs() < 1.5, "{d}");
    }
}
