import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import StrataConfig
import StrataCore

/// The web server: routes, authentication and the Hummingbird application, wired from the
/// site reader and the settings. `application` is a `Service` for the runtime's group.
package struct WebApp: Sendable {
    package let reader: SiteReader
    package let settings: WebSettings
    package let auth: WebAuthenticator
    package let metrics: StrataMetrics?
    package let clock: any WallClock
    /// When this server was made (the process's start, for `/healthz`'s "starting").
    let started: Int64
    let counter: ConnectionSlots

    package init(
        reader: SiteReader, settings: WebSettings, metrics: StrataMetrics? = nil,
        clock: any WallClock = SystemClock()
    ) {
        self.reader = reader
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        started = clock.seconds
        auth = WebAuthenticator(settings: settings)
        counter = ConnectionSlots(max: settings.maxConnections, perAddress: settings.maxPerAddress)
    }

    /// Whole seconds on the service's clock.
    func now() -> Int64 { clock.seconds }

    var config: StrataConfig { reader.config }
    var isTLS: Bool { settings.tls != nil }

    package func router() -> Router<WebContext> {
        let router = Router(context: WebContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: MethodGate())
        addAPIRoutes(router)
        addDashboardRoutes(router)
        return router
    }

    /// The server as a service: bounded connections (in all and per address), header limits
    /// and deadlines for slow clients, HTTPS when configured.
    package func application(
        logger: Logger = Logger(label: "strata.web"),
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let counter = counter
        let timeouts = settings.timeouts
        let http1 = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(counter: counter, timeouts: timeouts)],
            idleTimeout: .seconds(120),
            httpDecoderConfiguration: .init(
                maxHeaderFieldSize: 16 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 100))
        let server: HTTPServerBuilder =
            try settings.tls.map { try .tls(.http1(configuration: http1), tlsConfiguration: $0) }
            ?? .http1(configuration: http1)
        return Application(
            router: router(), server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Strata"),
            onServerRunning: onServerRunning, logger: logger)
    }

    // MARK: Authentication

    enum Audience { case page, api, metrics }

    /// Who the request is, or the answer that refuses it: pages redirect to the login form,
    /// the API answers 401 with a Basic challenge.
    func authenticate(_ request: Request, _ context: inout WebContext, for audience: Audience) -> Response? {
        let t = now()
        if let cookie = request.cookies[SessionCookie.name]?.value, let a = auth.session(cookie, now: t) {
            context.access = a
            context.sessionCookie = cookie
            return nil
        }
        if audience != .page, let header = request.headers[.authorization] {
            let (access, scheme) = auth.authorization(header, now: t)
            if scheme == "basic", !isTLS, !context.isLoopback {
                // The password would cross the network in clear text.
                return Problem(
                    .forbidden, "HTTPS required",
                    "HTTP Basic is accepted over HTTPS or from this machine only; configure web.tls_cert/web.tls_key, or use an API token"
                ).response
            }
            if let access {
                context.access = access
                return nil
            }
            var p = Problem(
                .unauthorized, "Wrong credentials", "the user name and password, or the token, were not accepted")
            p.headers[.wwwAuthenticate] = "Basic realm=\"Strata\", charset=\"UTF-8\""
            return p.response
        }
        if audience == .metrics && context.isLoopback { return nil }
        if auth.anonymous {
            context.access = .everything(user: "anonymous")
            return nil
        }
        switch audience {
        case .page:
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return .redirect("/login?next=" + HTML.urlEncode(target))
        case .api, .metrics:
            var p = Problem(
                .unauthorized, "Login required",
                "send HTTP Basic credentials of a Strata user, or `Authorization: Bearer <token>` with a token from web.api_tokens"
            )
            p.headers[.wwwAuthenticate] = "Basic realm=\"Strata\", charset=\"UTF-8\""
            return p.response
        }
    }

    /// A form post must come from one of our own pages: the Origin (sent by every current
    /// browser on a POST) names this host, and the form carries the session's CSRF token.
    func checkForm(_ request: Request, _ form: [String: String], session: String?) -> Bool {
        if let origin = request.headers[.origin], let host = request.head.authority {
            let o = origin.split(separator: "/").dropFirst().first.map(String.init) ?? ""
            if o != host { return false }
        }
        guard let session else { return true }
        let expected = SessionCookie.csrfToken(cookieValue: session, key: settings.sessionKey)
        return HMAC.constantTimeEqual(Array((form["csrf"] ?? "").utf8), Array(expected.utf8))
    }

    func csrf(_ context: WebContext) -> String? {
        context.sessionCookie.map { SessionCookie.csrfToken(cookieValue: $0, key: settings.sessionKey) }
    }

    /// `application/x-www-form-urlencoded` fields, at most 16 KB of them.
    static func form(_ request: inout Request) async -> [String: String] {
        guard let body = try? await request.collectBody(upTo: 16 * 1024) else { return [:] }
        var out: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            if let k = kv.first { out[decode(k)] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return out
    }
}
