import HTTPTypes
import Hummingbird

/// The API is read-only (HEAD is answered by the router as GET without the body); any other method on an API path is 405 with the methods it has, rather
/// than a 404 that suggests the path is wrong. Forms post to /login and /logout only.
struct MethodGate: RouterMiddleware {
    typealias Context = WebContext

    static func isAPI(_ path: String) -> Bool {
        path.hasPrefix("/api/") || path == "/healthz" || path == "/metrics"
    }

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response)
        async throws -> Response
    {
        switch request.method {
        case .get, .head:
            return try await next(request, context)
        default:
            guard Self.isAPI(request.uri.path) else { return try await next(request, context) }
            var p = Problem(.methodNotAllowed, "Method not allowed", "the API is read-only: use GET")
            p.headers[.allow] = "GET, HEAD"
            return p.response
        }
    }
}
