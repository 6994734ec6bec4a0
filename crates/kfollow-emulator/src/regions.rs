//! Azure regions as ARM shows them. A world file may spell a region either way (`westeurope`
//! or `West Europe`); ARM answers with the display name: every recorded Microsoft.Kusto GET
//! shows `"location": "East US"`, and the status URLs of long-running operations carry it too
//! (`…/locations/East%20US/operationResults/…`; public recordings of the Az.Kusto PowerShell
//! module, `Azure/azure-powershell`, `src/Kusto/Kusto.Autorest/test/*.Recording.json`).

/// Compact name and display name of the regions a world is likely to use. A region missing
/// here keeps the world's spelling.
const REGIONS: [(&str, &str); 48] = [
    ("australiacentral", "Australia Central"),
    ("australiaeast", "Australia East"),
    ("australiasoutheast", "Australia Southeast"),
    ("brazilsouth", "Brazil South"),
    ("canadacentral", "Canada Central"),
    ("canadaeast", "Canada East"),
    ("centralindia", "Central India"),
    ("centralus", "Central US"),
    ("eastasia", "East Asia"),
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("francecentral", "France Central"),
    ("francesouth", "France South"),
    ("germanynorth", "Germany North"),
    ("germanywestcentral", "Germany West Central"),
    ("israelcentral", "Israel Central"),
    ("italynorth", "Italy North"),
    ("japaneast", "Japan East"),
    ("japanwest", "Japan West"),
    ("koreacentral", "Korea Central"),
    ("koreasouth", "Korea South"),
    ("mexicocentral", "Mexico Central"),
    ("newzealandnorth", "New Zealand North"),
    ("northcentralus", "North Central US"),
    ("northeurope", "North Europe"),
    ("norwayeast", "Norway East"),
    ("norwaywest", "Norway West"),
    ("polandcentral", "Poland Central"),
    ("qatarcentral", "Qatar Central"),
    ("southafricanorth", "South Africa North"),
    ("southcentralus", "South Central US"),
    ("southeastasia", "Southeast Asia"),
    ("southindia", "South India"),
    ("spaincentral", "Spain Central"),
    ("swedencentral", "Sweden Central"),
    ("switzerlandnorth", "Switzerland North"),
    ("switzerlandwest", "Switzerland West"),
    ("uaecentral", "UAE Central"),
    ("uaenorth", "UAE North"),
    ("uksouth", "UK South"),
    ("ukwest", "UK West"),
    ("westcentralus", "West Central US"),
    ("westeurope", "West Europe"),
    ("westindia", "West India"),
    ("westus", "West US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
    ("jioindiawest", "Jio India West"),
];

/// The compact form of a region: lower case, no spaces (`West Europe` → `westeurope`).
pub fn compact(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The display name ARM answers with (`westeurope` → `West Europe`); a region the table does
/// not know keeps the world's spelling.
pub fn display_name(location: &str) -> String {
    let key = compact(location);
    REGIONS
        .iter()
        .find(|(name, _)| *name == key)
        .map_or_else(|| location.to_owned(), |(_, display)| (*display).to_owned())
}

/// True when two spellings name one region (`West Europe`, `westeurope`, `WESTEUROPE`).
pub fn same_region(a: &str, b: &str) -> bool {
    compact(a) == compact(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_names_become_display_names() {
        assert_eq!(display_name("westeurope"), "West Europe");
        assert_eq!(display_name("West Europe"), "West Europe");
        assert_eq!(display_name("EASTUS2"), "East US 2");
        assert_eq!(display_name("southeastasia"), "Southeast Asia");
        // A region the table does not know keeps the world's spelling.
        assert_eq!(display_name("marsnorth"), "marsnorth");
        assert_eq!(display_name("Mars North"), "Mars North");
    }

    #[test]
    fn the_table_is_keyed_by_the_compact_form_of_its_display_names() {
        for (name, display) in REGIONS {
            assert_eq!(compact(display), name, "{display}");
        }
        assert!(same_region("West Europe", "westeurope"));
        assert!(!same_region("westeurope", "northeurope"));
    }
}
