//! A local stand-in for Azure: the ARM Microsoft.Kusto routes kfollow uses and each cluster's
//! Kusto management endpoint, served over real HTTP on loopback from a world file.

pub mod kusto;
