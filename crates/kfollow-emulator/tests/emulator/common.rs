//! A world, an emulator and a client for the tests.

use std::collections::BTreeSet;

use kfollow_emulator::{Emulator, Options, World};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const API: &str = "api-version=2025-02-14";

pub const PROD: &str = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-analytics/providers/Microsoft.Kusto/clusters/fcprod";
pub const EMEA: &str = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcemea";
/// fcprod leads Sales and Logs; fcemea (same region) follows Sales as `sales`, and owns Local;
/// fcus is in another region; fcstopped is stopped; fcnorth (same region, written `West
/// Europe`) has nothing yet. The settings are the defaults: Azure-like.
pub const WORLD: &str = r#"
clusters:
  - id: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-analytics/providers/Microsoft.Kusto/clusters/fcprod
    location: westeurope
    state: Running
    databases:
      - name: Sales
        tables: [Orders, Customers, Logs2026]
        materializedViews: [DailySales]
      - name: Logs
        tables: [Raw]
  - id: /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcemea
    location: westeurope
    databases:
      - name: Local
    attachedDatabaseConfigurations:
      - name: sales
        clusterResourceId: /subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-analytics/providers/Microsoft.Kusto/clusters/fcprod
        databaseName: Sales
        defaultPrincipalsModificationKind: Union
        tableLevelSharingProperties:
          tablesToInclude: [Orders, "Logs*"]
  - id: /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-us/providers/Microsoft.Kusto/clusters/fcus
    location: eastus
  - id: /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcstopped
    location: westeurope
    state: Stopped
  - id: /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-emea/providers/Microsoft.Kusto/clusters/fcnorth
    location: West Europe
settings:
  operationMs: 0
  latencyMs: 0
"#;

pub struct Env {
    pub emulator: Emulator,
    pub client: reqwest::Client,
    pub token: String,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Env {
    pub fn new(world: &str) -> Env {
        Env::with(World::from_yaml(world).unwrap())
    }

    pub fn with(world: World) -> Env {
        Env::with_options(world, Options::default())
    }

    pub fn with_options(world: World, options: Options) -> Env {
        Env {
            emulator: Emulator::start_with(world, options).unwrap(),
            client: reqwest::Client::new(),
            token: "test-token".into(),
        }
    }

    /// The emulator's `127.0.0.1:PORT`, for raw connections.
    pub fn address(&self) -> String {
        let base = self.emulator.base_url();
        base.strip_prefix("http://").unwrap_or(base).to_owned()
    }

    /// A URL for an ARM path, with the api-version unless the path has a query already.
    pub fn url(&self, path: &str) -> String {
        let base = self.emulator.base_url();
        if path.contains('?') || path.starts_with("/kusto/") || path.starts_with("/_emulator") {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{API}")
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.send_as(Some(&self.token), method, path, body).await
    }

    pub async fn send_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            self.url(path)
        };
        let mut request = self.client.request(method, url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap()
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }

    /// Polls an `Azure-AsyncOperation` URL until the status is no longer `Running`.
    pub async fn wait(&self, status_url: &str) -> Value {
        loop {
            let answer = self.get(status_url).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            if answer.body["status"] != "Running" {
                return answer.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// An attachment body following `database` of fcprod.
pub fn attach_body(database: &str) -> Value {
    serde_json::json!({
        "location": "westeurope",
        "properties": {
            "clusterResourceId": PROD,
            "databaseName": database,
            "defaultPrincipalsModificationKind": "Union",
        }
    })
}

/// GET of an admin route, as JSON.
pub async fn admin_json(env: &Env, path: &str) -> Value {
    env.client
        .get(env.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Every field path of a JSON value with its JSON type (`properties.state`, `string`); array
/// items share the path `list[]`. Compared instead of values, which are made up.
pub fn fields(value: &Value) -> BTreeSet<(String, &'static str)> {
    fn walk(value: &Value, path: &str, out: &mut BTreeSet<(String, &'static str)>) {
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{path}[]"), out);
                }
                "array"
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let child = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(item, &child, out);
                }
                "object"
            }
        };
        if !path.is_empty() {
            out.insert((path.to_owned(), kind));
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}
