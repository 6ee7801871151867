//! Route handlers shared by every catalog kind, generated per kind so that each has its
//! own typed OpenAPI operation. Used by the catalog and policies functions. The calling
//! module must have `Entry` (domain::catalog) and `Page` (pagination) in scope: utoipa
//! names response schemas by their written path.

/// The create / patch / delete handlers of one catalog kind.
#[macro_export]
macro_rules! catalog_writes {
    ($spec:ty, $new:ty, $collection:literal, $item:literal, $tag:literal) => {
        /// Create an entry: global for the platform operator, org-private for an admin.
        #[utoipa::path(post, path = $collection, tag = $tag, request_body = $new,
                    responses((status = 201, body = Entry<$spec>), $crate::http::openapi::Problems),
                    security(("session" = []), ("platform_key" = [])))]
        pub async fn create(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::http::Json(body): $crate::http::Json<$new>,
        ) -> $crate::Result<(axum::http::StatusCode, $crate::http::Json<$crate::domain::catalog::Entry<$spec>>)> {
            Ok((axum::http::StatusCode::CREATED, $crate::http::Json($crate::domain::catalog::create::<$spec>(&state, &principal, body).await?)))
        }

        /// Change an entry with a JSON merge patch of the creation fields.
        #[utoipa::path(patch, path = $item, tag = $tag, params(("id" = uuid::Uuid, Path)),
                    request_body(content = Object, description = "JSON merge patch (RFC 7396) of the creation fields"),
                    responses((status = 200, body = Entry<$spec>), $crate::http::openapi::Problems),
                    security(("session" = []), ("platform_key" = [])))]
        pub async fn update(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::http::Path(id): $crate::http::Path<<$spec as $crate::domain::catalog::Kind>::Id>,
            $crate::http::Json(patch): $crate::http::Json<serde_json::Value>,
        ) -> $crate::Result<$crate::http::Json<$crate::domain::catalog::Entry<$spec>>> {
            Ok($crate::http::Json($crate::domain::catalog::update::<$spec>(&state, &principal, id, patch).await?))
        }

        /// Delete an entry nothing references any more.
        #[utoipa::path(delete, path = $item, tag = $tag, params(("id" = uuid::Uuid, Path)),
                    responses((status = 204), $crate::http::openapi::Problems),
                    security(("session" = []), ("platform_key" = [])))]
        pub async fn delete(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::http::Path(id): $crate::http::Path<<$spec as $crate::domain::catalog::Kind>::Id>,
        ) -> $crate::Result<axum::http::StatusCode> {
            $crate::domain::catalog::delete::<$spec>(&state, &principal, id).await?;
            Ok(axum::http::StatusCode::NO_CONTENT)
        }
    };
}

/// The list / get handlers of one catalog kind.
#[macro_export]
macro_rules! catalog_reads {
    ($spec:ty, $collection:literal, $item:literal, $tag:literal) => {
        /// List the entries the caller can see: their organization's, then the global ones.
        #[utoipa::path(get, path = $collection, tag = $tag, params($crate::domain::catalog::CatalogQuery),
                                            responses((status = 200, body = Page<Entry<$spec>>), $crate::http::openapi::Problems),
                                            security(("session" = []), ("platform_key" = [])))]
        pub async fn list(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::http::Query(query): $crate::http::Query<$crate::domain::catalog::CatalogQuery>,
        ) -> $crate::Result<$crate::http::Json<$crate::pagination::Page<$crate::domain::catalog::Entry<$spec>>>> {
            Ok($crate::http::Json($crate::domain::catalog::list::<$spec>(&state, &principal, &query).await?))
        }

        /// Read an entry.
        #[utoipa::path(get, path = $item, tag = $tag, params(("id" = uuid::Uuid, Path)),
                                            responses((status = 200, body = Entry<$spec>), $crate::http::openapi::Problems),
                                            security(("session" = []), ("platform_key" = [])))]
        pub async fn get(
            axum::extract::State(state): axum::extract::State<$crate::AppState>,
            principal: $crate::auth::Principal,
            $crate::http::Path(id): $crate::http::Path<<$spec as $crate::domain::catalog::Kind>::Id>,
        ) -> $crate::Result<$crate::http::Json<$crate::domain::catalog::Entry<$spec>>> {
            Ok($crate::http::Json($crate::domain::catalog::get::<$spec>(&state, &principal, id).await?))
        }
    };
}
