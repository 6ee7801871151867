//! Prints the API's OpenAPI document, generated from every function's routes: what
//! `docs/openapi.json` holds and the docs function serves.

fn main() -> Result<(), serde_json::Error> {
    println!("{}", serde_json::to_string_pretty(&devserver::openapi())?);
    Ok(())
}
