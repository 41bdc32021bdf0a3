import Hummingbird

/// Authentication as one router middleware on the routes that need it: who is asking goes
/// into the context (`WebContext.access`), or the answer that refuses them goes back (a page
/// redirects to the login form, the API answers 401 with a Basic challenge). Routes never
/// authenticate themselves; role checks for the setup pages join here.
struct WebAuthentication: RouterMiddleware {
    typealias Context = WebContext
    let app: WebApp
    let audience: WebApp.Audience

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response)
        async throws -> Response
    {
        var ctx = context
        if let refused = app.authenticate(request, &ctx, for: audience) { return refused }
        return try await next(request, ctx)
    }
}
