//! The contracts between the code and what is declared about it: template.yaml's routes,
//! functions, table and queues; the OpenAPI document served by the dev server.

use std::collections::BTreeSet;

use agentctl_tests::TestApp;
use reqwest::{Method, StatusCode};
use serde_yaml::Value as Yaml;

fn template() -> Yaml {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).expect("template.yaml")).expect("valid YAML")
}

fn resources(template: &Yaml) -> &serde_yaml::Mapping {
    template["Resources"].as_mapping().expect("Resources")
}

/// (function, METHOD, path, public) of every HttpApi event in the template.
fn template_routes(template: &Yaml) -> BTreeSet<(String, String, String, bool)> {
    let mut routes = BTreeSet::new();
    for (name, resource) in resources(template) {
        // The console's pages are outside the API document (their own test below).
        if resource["Type"] != "AWS::Serverless::Function" || name == CONSOLE {
            continue;
        }
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values().filter(|e| e["Type"] == "HttpApi") {
            let props = &event["Properties"];
            let public = props["Auth"]["Authorizer"] == "NONE";
            let path = props["Path"].as_str().unwrap();
            // A greedy route (`ANY /prefix/{proxy+}`, SCIM: every method reaches the
            // function, which answers 404 and 405 itself) declares every route the
            // function serves below its prefix.
            if let Some(prefix) = path.strip_suffix("{proxy+}") {
                assert_eq!(props["Method"], "ANY", "{path}");
                let function = name.as_str().unwrap();
                routes.extend(
                    code_routes()
                        .into_iter()
                        .filter(|(f, _, p, _)| f == function && p.starts_with(prefix))
                        .map(|(f, m, p, _)| (f, m, p, public)),
                );
                continue;
            }
            routes.insert((
                name.as_str().unwrap().to_string(),
                props["Method"].as_str().unwrap().to_uppercase(),
                props["Path"].as_str().unwrap().to_string(),
                public,
            ));
        }
    }
    routes
}

/// The same, from the routers the Lambdas and the dev server run.
fn code_routes() -> BTreeSet<(String, String, String, bool)> {
    let mut routes = BTreeSet::new();
    for (function, router) in devserver::functions() {
        let (_, api) = router.split_for_parts();
        let public = devserver::public_routes(&api);
        for (path, item) in &api.paths.paths {
            for (method, _) in devserver::operations(item) {
                let is_public = public.contains(&(method.clone(), path.clone()));
                routes.insert((function.to_string(), method.to_string(), path.clone(), is_public));
            }
        }
    }
    routes
}

#[test]
fn template_and_code_declare_the_same_routes() {
    let declared = template_routes(&template());
    let served = code_routes();
    let missing_in_template: Vec<_> = served.difference(&declared).collect();
    let missing_in_code: Vec<_> = declared.difference(&served).collect();
    assert!(
        missing_in_template.is_empty() && missing_in_code.is_empty(),
        "routes differ\n  in code, not in template.yaml: {missing_in_template:?}\n  in template.yaml, not in code: {missing_in_code:?}"
    );
}

const CONSOLE: &str = "ConsoleFunction";

#[test]
fn the_console_serves_its_pages_without_the_authorizer() {
    let template = template();
    let events = resources(&template)[CONSOLE]["Properties"]["Events"].as_mapping().expect("the console's routes");
    let routes: BTreeSet<(String, String, bool)> = events
        .values()
        .map(|e| {
            let props = &e["Properties"];
            (
                props["Method"].as_str().unwrap().to_string(),
                props["Path"].as_str().unwrap().to_string(),
                props["Auth"]["Authorizer"] == "NONE",
            )
        })
        .collect();
    let expected = [("GET", "/"), ("GET", "/console"), ("ANY", "/console/{proxy+}")]
        .map(|(m, p)| (m.to_string(), p.to_string(), true))
        .into_iter()
        .collect();
    assert_eq!(routes, expected, "the console reads its own cookie: no route of it passes the authorizer");
}

#[test]
fn every_function_builds_its_own_binary_with_cargo_lambda() {
    let template = template();
    for (name, resource) in resources(&template) {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        assert_eq!(resource["Metadata"]["BuildMethod"], "rust-cargolambda", "{name:?}");
        let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str().expect("binary");
        let main = format!("{}/../functions/{binary}/src/main.rs", env!("CARGO_MANIFEST_DIR"));
        assert!(std::path::Path::new(&main).exists(), "{name:?}: no crate for binary {binary}");
        assert_eq!(resource["Properties"]["CodeUri"], ".", "{name:?}: the workspace root is the code");
    }
    let globals = &template["Globals"]["Function"];
    assert_eq!(globals["Runtime"], "provided.al2023");
    assert_eq!(globals["Architectures"][0], "arm64");
}

#[test]
fn queue_consumers_report_partial_failures_and_their_queues_dead_letter() {
    let template = template();
    let mut consumers = 0;
    for (name, resource) in resources(&template) {
        let Some(events) = resource["Properties"]["Events"].as_mapping() else { continue };
        for event in events.values().filter(|e| e["Type"] == "SQS") {
            consumers += 1;
            let props = &event["Properties"];
            assert_eq!(props["FunctionResponseTypes"][0], "ReportBatchItemFailures", "{name:?}");
            // `Queue: !GetAtt <Queue>.Arn`
            let Yaml::Tagged(get_att) = &props["Queue"] else { panic!("{name:?}: Queue is not a !GetAtt") };
            let queue = get_att.value.as_str().expect("!GetAtt target").trim_end_matches(".Arn");
            let redrive = &resources(&template)[queue]["Properties"]["RedrivePolicy"];
            assert!(redrive["maxReceiveCount"].as_u64().is_some(), "{queue}: no dead-letter queue");
        }
    }
    assert!(consumers >= 1, "the sync recorder consumes the sync queue");
}

#[test]
fn the_authorizer_is_uncached_and_uses_simple_responses() {
    let template = template();
    let api = &resources(&template)["HttpApi"]["Properties"]["Auth"];
    let authorizer = &api["Authorizers"][api["DefaultAuthorizer"].as_str().unwrap()];
    assert_eq!(authorizer["AuthorizerPayloadFormatVersion"], "2.0");
    assert_eq!(authorizer["EnableSimpleResponses"], true);
    assert_eq!(authorizer["Identity"]["ReauthorizeEvery"], 0, "a cached result would outlive logout");
}

#[test]
fn the_table_matches_what_the_code_queries() {
    let template = template();
    let table = &resources(&template)["Table"]["Properties"];
    let indexes: Vec<(String, String, String)> = table["GlobalSecondaryIndexes"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|gsi| {
            let key = |i: usize| gsi["KeySchema"][i]["AttributeName"].as_str().unwrap().to_string();
            (gsi["IndexName"].as_str().unwrap().to_string(), key(0), key(1))
        })
        .collect();
    let expected: Vec<(String, String, String)> =
        devserver::provision::INDEXES.iter().map(|(n, p, s)| (n.to_string(), p.to_string(), s.to_string())).collect();
    assert_eq!(indexes, expected);
    for definition in table["AttributeDefinitions"].as_sequence().unwrap() {
        let name = definition["AttributeName"].as_str().unwrap();
        let kind = devserver::provision::key_attribute_type(name);
        assert_eq!(definition["AttributeType"].as_str(), Some(kind.as_str()), "{name}");
    }
    assert_eq!(table["TimeToLiveSpecification"]["AttributeName"], agentctl_shared::keys::TTL);
    assert_eq!(table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true);
    let queue = &resources(&template)["UsageQueue"]["Properties"]["RedrivePolicy"];
    assert!(queue["maxReceiveCount"].as_u64().is_some(), "the usage queue dead-letters poison messages");
}

#[tokio::test]
async fn the_served_openapi_document_describes_every_route() {
    let app = TestApp::spawn().await;
    let (status, served) = app.call(Method::GET, "/v1/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1"), "OpenAPI 3.1");
    let generated = serde_json::to_value(devserver::openapi()).unwrap();
    assert_eq!(served, generated, "the dev server serves the deployed function's document");
    // The docs function serves the file it embeds; it must be the code's document.
    let embedded: serde_json::Value = serde_json::from_str(fn_docs::DOCUMENT).unwrap();
    assert!(
        embedded == generated,
        "docs/openapi.json is not the code's document: cargo run -p devserver --bin openapi > docs/openapi.json"
    );

    let documented: BTreeSet<(String, String)> = code_routes().into_iter().map(|(_, m, p, _)| (m, p)).collect();
    let declared: BTreeSet<(String, String)> =
        template_routes(&template()).into_iter().map(|(_, m, p, _)| (m, p)).collect();
    assert_eq!(documented, declared, "every deployed route is in the document");

    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            assert!(operation["summary"].is_string(), "{name}: no summary");
            assert!(operation["tags"].is_array(), "{name}: no tag");
            assert!(operation["security"].is_array(), "{name}: security not declared");
            let responses = operation["responses"].as_object().unwrap();
            // A redirect is the success of the sign-in pages.
            assert!(responses.keys().any(|s| s.starts_with('2') || s.starts_with('3')), "{name}: no success response");
            // The public sign-in routes answer people (HTML) and OAuth clients (OAuth's
            // JSON errors), SCIM its own errors: no caller for the authorizer to check.
            let public = operation["security"] == serde_json::json!([{}]);
            // The document itself is a constant: it has nothing to refuse.
            let problems: &[&str] = match operation["tags"][0].as_str() {
                Some("docs") => &[],
                Some("identity" | "scim") if public => &["400", "503"],
                _ => &["400", "401", "403", "404", "422", "503"],
            };
            for code in problems {
                assert!(responses.contains_key(*code), "{name}: problem {code} not documented");
            }
            for param in path.split('/').filter(|s| s.starts_with('{')) {
                let param = param.trim_matches(|c| c == '{' || c == '}');
                let declared =
                    operation["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["name"] == param));
                assert!(declared, "{name}: path parameter {param} undocumented");
            }
            // The route is really served: without credentials a protected route is a 401,
            // a public one answers anything but "no such route".
            let method: Method = method.to_uppercase().parse().unwrap();
            let concrete = path
                .split('/')
                .map(|s| if s.starts_with('{') { uuid::Uuid::nil().to_string() } else { s.to_string() })
                .collect::<Vec<_>>()
                .join("/");
            let (status, body) = app.call(method, &concrete, None, None).await;
            let public = operation["security"] == serde_json::json!([{}]);
            if public {
                assert_ne!(status, StatusCode::NOT_FOUND, "{name}: {body}");
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
            }
        }
    }
}

#[test]
fn every_schema_reference_in_the_openapi_document_resolves() {
    fn refs(value: &serde_json::Value, found: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(target)) = map.get("$ref") {
                    found.insert(target.clone());
                }
                map.values().for_each(|v| refs(v, found));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let api = serde_json::to_value(devserver::openapi()).unwrap();
    let mut found = BTreeSet::new();
    refs(&api, &mut found);
    let missing: Vec<&String> = found
        .iter()
        .filter(|target| {
            let name = target.trim_start_matches("#/components/schemas/");
            api["components"]["schemas"].get(name).is_none()
        })
        .collect();
    assert!(missing.is_empty(), "unresolvable references (fuzzers and clients cannot use these): {missing:?}");
}
