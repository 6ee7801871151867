#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(fn_docs::router::<()>().split_for_parts().0).await
}
