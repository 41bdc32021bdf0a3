/// The OpenAPI 3.1 description of `/api/v1` and `/healthz`, served at `/api/v1/openapi.json`
/// and kept true by schemathesis running against the live server in the tests
/// (Tests/StrataCLITests/WebCLITests.swift). The document is `Embedded/openapi.json`, embedded
/// into the binary at build time; edit it with the handlers in APIRoutes.swift.
enum OpenAPIDocument {
    static var json: String { Embedded.openapiJson }
}
