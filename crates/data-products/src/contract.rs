//! The part of an ODCS v3 contract the shop acts on: its id and version, and each table's
//! columns with their logical types, whether they may be null and which form the key. The rest
//! of the document (team, descriptions, SLAs, servers) is for people and for validators of the
//! standard's own JSON schema (the Python suite runs one).

use serde::Deserialize;

/// A data contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    pub id: String,
    pub name: String,
    /// Semantic version: `(major, minor, patch)`.
    pub version: (u64, u64, u64),
    /// `active` once published; `draft` and `proposed` promise nothing yet.
    pub status: String,
    pub tables: Vec<Table>,
}

/// A table of the product (an ODCS schema object).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
}

/// A column of a table (an ODCS schema property).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub logical_type: LogicalType,
    pub required: bool,
    pub primary_key: bool,
    /// The values it may take (an ODCS `validValues` quality rule), empty when any.
    pub valid_values: Vec<String>,
}

/// The ODCS logical types the exports write; `Timestamp` is a `date` whose physical type is
/// `TIMESTAMP` (milliseconds, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalType {
    String,
    Integer,
    Number,
    Boolean,
    Timestamp,
}

impl LogicalType {
    pub fn as_str(self) -> &'static str {
        match self {
            LogicalType::String => "string",
            LogicalType::Integer => "integer",
            LogicalType::Number => "number",
            LogicalType::Boolean => "boolean",
            LogicalType::Timestamp => "date (TIMESTAMP)",
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    api_version: String,
    kind: String,
    id: String,
    #[serde(default)]
    name: String,
    version: String,
    status: String,
    #[serde(default)]
    schema: Vec<SchemaObject>,
}

#[derive(Deserialize)]
struct SchemaObject {
    name: String,
    #[serde(default)]
    properties: Vec<Property>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Property {
    name: String,
    logical_type: String,
    #[serde(default)]
    physical_type: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    primary_key: bool,
    #[serde(default)]
    quality: Vec<Quality>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Quality {
    #[serde(default)]
    rule: String,
    #[serde(default)]
    valid_values: Vec<String>,
}

impl Contract {
    /// Reads a contract's YAML, or says what in it the shop cannot use, naming the place.
    pub fn parse(yaml: &str) -> anyhow::Result<Contract> {
        let document: Document = serde_saphyr::from_str(yaml)
            .map_err(|error| anyhow::anyhow!("not an ODCS contract: {error}"))?;
        anyhow::ensure!(
            document.kind == "DataContract" && document.api_version.starts_with("v3."),
            "kind {} and apiVersion {}: the shop reads ODCS v3 DataContracts",
            document.kind,
            document.api_version
        );
        let version = semver(&document.version).ok_or_else(|| {
            anyhow::anyhow!("version `{}` is not MAJOR.MINOR.PATCH", document.version)
        })?;
        let tables = document
            .schema
            .into_iter()
            .map(table)
            .collect::<anyhow::Result<Vec<Table>>>()?;
        anyhow::ensure!(
            !tables.is_empty(),
            "{}: the schema has no table",
            document.id
        );
        Ok(Contract {
            id: document.id,
            name: document.name,
            version,
            status: document.status,
            tables,
        })
    }

    /// The table `name`.
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|table| table.name == name)
    }
}

fn table(object: SchemaObject) -> anyhow::Result<Table> {
    anyhow::ensure!(
        !object.properties.is_empty(),
        "schema.{}: a table needs properties",
        object.name
    );
    let columns = object
        .properties
        .into_iter()
        .map(|property| column(&object.name, property))
        .collect::<anyhow::Result<Vec<Column>>>()?;
    Ok(Table {
        name: object.name,
        columns,
    })
}

fn column(table: &str, property: Property) -> anyhow::Result<Column> {
    let logical_type = match (
        property.logical_type.as_str(),
        property.physical_type.as_str(),
    ) {
        ("string", _) => LogicalType::String,
        ("integer", _) => LogicalType::Integer,
        ("number", _) => LogicalType::Number,
        ("boolean", _) => LogicalType::Boolean,
        ("date", "TIMESTAMP") => LogicalType::Timestamp,
        (other, physical) => anyhow::bail!(
            "schema.{table}.{}: logicalType {other} (physicalType {physical}) is not one the exports write (string, integer, number, boolean, date with TIMESTAMP)",
            property.name
        ),
    };
    let valid_values = property
        .quality
        .into_iter()
        .filter(|quality| quality.rule == "validValues")
        .flat_map(|quality| quality.valid_values)
        .collect();
    Ok(Column {
        name: property.name,
        logical_type,
        // A key is never null, whatever `required` says.
        required: property.required || property.primary_key,
        primary_key: property.primary_key,
        valid_values,
    })
}

/// `MAJOR.MINOR.PATCH` as numbers.
fn semver(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.trim().split('.').map(|part| part.parse::<u64>().ok());
    let version = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(version)
}

#[cfg(test)]
mod tests;
