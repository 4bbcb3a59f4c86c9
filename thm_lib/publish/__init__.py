"""What people read: published tables, reports, Excel, maps, charts and the GeoPackage."""
