//! What the SCIM endpoints tell clients about themselves (RFC 7643 §5-7): the service
//! provider's features, the resource types, and the schemas of the attributes kept.

use serde_json::{Value, json};

use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, LIST_SCHEMA, MAX_PAGE, ScimError, ScimResult, USER_SCHEMA};

const SPC_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SPC_SCHEMA],
        "patch": { "supported": true },
        "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
        "filter": { "supported": true, "maxResults": MAX_PAGE },
        "changePassword": { "supported": false },
        "sort": { "supported": false },
        "etag": { "supported": false },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "SCIM token",
            "description": "A SCIM token an owner of the organization created (POST /v1/org/scim-tokens)",
            "primary": true,
        }],
        "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
    })
}

fn resource_type(id: &str, endpoint: &str, schema: &str, base: &str) -> Value {
    let mut resource_type = json!({
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": id,
        "name": id,
        "endpoint": endpoint,
        "description": if id == "User" { "An employee of the organization" } else { "A team of the organization" },
        "schema": schema,
        "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}") },
    });
    if id == "User" {
        resource_type["schemaExtensions"] = json!([{ "schema": ENTERPRISE_USER_SCHEMA, "required": false }]);
    }
    resource_type
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![resource_type("User", "/Users", USER_SCHEMA, base), resource_type("Group", "/Groups", GROUP_SCHEMA, base)]
}

pub fn resource_type_named(id: &str, base: &str) -> ScimResult<Value> {
    resource_types(base).into_iter().find(|t| t["id"] == id).ok_or_else(|| ScimError::not_found("ResourceType"))
}

fn attribute(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "description": description,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    })
}

fn with(mut attribute: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().expect("an object") {
        attribute[k] = v.clone();
    }
    attribute
}

fn user_schema(base: &str) -> Value {
    let string = |name: &str, description: &str| attribute(name, "string", description);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "An employee of the organization",
        "attributes": [
            with(string("userName", "Unique in the organization; an email address unless emails gives one"), json!({ "required": true, "uniqueness": "server" })),
            with(string("externalId", "The identity provider's id"), json!({ "caseExact": true })),
            with(attribute("name", "complex", "The person's name"), json!({ "subAttributes": [
                string("formatted", "The full name"),
                string("familyName", "The family name"),
                string("givenName", "The given name"),
            ] })),
            string("displayName", "The name shown (the employee's full name)"),
            with(attribute("emails", "complex", "Email addresses; the primary (or first) one is the employee's"), json!({ "multiValued": true, "required": true, "subAttributes": [
                with(string("value", "An email address"), json!({ "required": true })),
                string("type", "work, home, other"),
                attribute("primary", "boolean", "The employee's email"),
            ] })),
            attribute("active", "boolean", "false deactivates the employee and ends their sessions"),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}") },
    })
}

fn enterprise_user_schema(base: &str) -> Value {
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": ENTERPRISE_USER_SCHEMA,
        "name": "EnterpriseUser",
        "description": "What the organization says of an employee",
        "attributes": [
            attribute("department", "string", "The employee's team, by name (created when no team has it)"),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{ENTERPRISE_USER_SCHEMA}") },
    })
}

fn group_schema(base: &str) -> Value {
    let string = |name: &str, description: &str| attribute(name, "string", description);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A team of the organization",
        "attributes": [
            with(string("displayName", "The team's name, unique in the organization"), json!({ "required": true, "uniqueness": "server" })),
            with(string("externalId", "The identity provider's id"), json!({ "caseExact": true })),
            with(attribute("members", "complex", "The group's employees (an employee is in any number of groups)"), json!({ "multiValued": true, "subAttributes": [
                with(string("value", "The User's id"), json!({ "mutability": "immutable" })),
                with(attribute("$ref", "reference", "The User's location"), json!({ "referenceTypes": ["User"], "mutability": "immutable" })),
            ] })),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}") },
    })
}

pub fn schemas(base: &str) -> Vec<Value> {
    vec![user_schema(base), enterprise_user_schema(base), group_schema(base)]
}

pub fn schema_named(id: &str, base: &str) -> ScimResult<Value> {
    schemas(base).into_iter().find(|s| s["id"] == id).ok_or_else(|| ScimError::not_found("Schema"))
}

/// A discovery list (not paged: it is short).
pub fn list(resources: Vec<Value>) -> Value {
    json!({ "schemas": [LIST_SCHEMA], "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(), "Resources": resources })
}
