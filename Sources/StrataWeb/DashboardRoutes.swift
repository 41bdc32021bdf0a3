import Foundation
import Hummingbird
import StrataCore

/// The HTML pages: login, overview, a meter, the archive, the outbox, the config.
extension WebApp {
    func addDashboardRoutes(_ router: Router<WebContext>) {
        router.get("/login") { request, _ -> Response in
            let next = Self.safeNext(request.uri.queryParameters.get("next"))
            return .html(self.loginPage(next: next, error: nil))
        }
        router.post("/login") { request, context -> Response in
            var req = request
            let form = await Self.form(&req)
            let next = Self.safeNext(form["next"])
            guard self.checkForm(request, form, session: nil) else {
                return .html(
                    self.loginPage(next: next, error: "The form did not come from this server; reload the page."),
                    status: .forbidden)
            }
            let t = self.now()
            guard let access = self.auth.login(user: form["user"] ?? "", password: form["password"] ?? "", now: t)
            else {
                // As the FTP server does: each failure costs the guesser a second (not a thread).
                try? await Task.sleep(for: .seconds(1))
                return .html(self.loginPage(next: next, error: "Wrong user name or password."), status: .unauthorized)
            }
            let value = SessionCookie(user: access.user, expires: t + self.settings.sessionLifetime).value(
                key: self.settings.sessionKey)
            var response = Response.redirect(next)
            response.setCookie(
                Cookie(
                    name: SessionCookie.name, value: value, maxAge: Int(self.settings.sessionLifetime), path: "/",
                    secure: self.isTLS, httpOnly: true, sameSite: .strict))
            return response
        }
        router.post("/logout") { request, context -> Response in
            var req = request
            let form = await Self.form(&req)
            let session = request.cookies[SessionCookie.name]?.value
            guard self.checkForm(request, form, session: session) else {
                return Problem(
                    .forbidden, "Form refused", "the logout form did not come from this server; reload the page"
                ).response
            }
            var response = Response.redirect("/login")
            response.setCookie(
                Cookie(
                    name: SessionCookie.name, value: "", maxAge: 0, path: "/", secure: self.isTLS, httpOnly: true,
                    sameSite: .strict))
            return response
        }
        let pages = router.group().add(middleware: WebAuthentication(app: self, audience: .page))
        pages.get("/") { request, context -> Response in
            try await self.page(request, context, "/") { ctx, access in try await self.overviewPage(ctx, access) }
        }
        pages.get("/devices/{id}") { request, context -> Response in
            try await self.page(request, context, "/") { ctx, access in
                let id = ctx.parameters.get("id") ?? ""
                guard self.config.device(id) != nil else {
                    return .html(
                        self.messagePage(ctx, "Unknown meter", "There is no meter “\(id)” on this site."),
                        status: .notFound)
                }
                guard access.allows(device: id) else {
                    return .html(
                        self.messagePage(ctx, "Not allowed", "Your login may not see the meter “\(id)”."),
                        status: .forbidden)
                }
                return try await self.meterPage(request, ctx, access, id)
            }
        }
        pages.get("/outbox") { request, context -> Response in
            try await self.page(request, context, "/outbox") { ctx, access in
                guard access.seesSite else {
                    return .html(
                        self.messagePage(
                            ctx, "Not allowed", "The report outbox is site-wide; your login sees one meter."),
                        status: .forbidden)
                }
                return .html(self.outboxPage(ctx, try await self.reader.outboxEntries()))
            }
        }
        pages.get("/config") { request, context -> Response in
            try await self.page(request, context, "/config") { ctx, access in
                guard access.seesSite else {
                    return .html(
                        self.messagePage(ctx, "Not allowed", "The config is site-wide; your login sees one meter."),
                        status: .forbidden)
                }
                return .html(self.configPage(ctx))
            }
        }
        pages.get("/archive/") { request, context -> Response in
            try await self.page(request, context, "/archive/") { ctx, access in self.archive(ctx, access, []) }
        }
        pages.get("/archive/**") { request, context -> Response in
            try await self.page(request, context, "/archive/") { ctx, access in
                self.archive(ctx, access, ctx.parameters.getCatchAll().map(String.init))
            }
        }
    }

    /// Renders an authenticated page request (`WebAuthentication` ran first), read errors and
    /// problems as a page.
    func page(
        _ request: Request, _ ctx: WebContext, _ current: String,
        _ body: (WebContext, WebAccess) async throws -> Response
    ) async throws -> Response {
        guard let access = ctx.access else { return .redirect("/login") }
        do {
            return try await body(ctx, access)
        } catch let e as WebReadError {
            let p = Problem.from(e)
            return .html(messagePage(ctx, p.title, p.detail), status: p.status)
        } catch let p as Problem {
            return .html(messagePage(ctx, p.title, p.detail), status: p.status)
        }
    }

    /// Only a path on this server: `next=https://evil.example` would make the login form an
    /// open redirect.
    static func safeNext(_ s: String?) -> String {
        guard let s, s.hasPrefix("/"), !s.hasPrefix("//"), !s.contains("\\") else { return "/" }
        return s
    }

    /// A folder listing or a file of the archive tree, inside the user's home only.
    func archive(_ ctx: WebContext, _ access: WebAccess, _ parts: [String]) -> Response {
        // No "..", no hidden files (temporaries being written are dot files).
        guard !parts.contains(where: { $0.isEmpty || $0.hasPrefix(".") || $0.contains("/") }) else {
            return .html(messagePage(ctx, "Not found", "No such file in the archive."), status: .notFound)
        }
        let rel = parts.joined(separator: "/")
        let root = config.archive.path
        let full = rel.isEmpty ? root : root + "/" + rel
        // A folder above the home is shown with only the way down to the home.
        let home = access.home.split(separator: "/").map(String.init)
        let insideHome = access.allows(path: rel)
        let aboveHome = !insideHome && parts.count < home.count && Array(home.prefix(parts.count)) == parts
        guard insideHome || aboveHome else {
            return .html(
                messagePage(ctx, "Not allowed", "That folder is outside your login's home (“\(access.home)”)."),
                status: .forbidden)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir) else {
            return .html(
                messagePage(
                    ctx, "Not found", "No such file in the archive (yet): files appear once their data is rolled up."),
                status: .notFound)
        }
        if !isDir.boolValue {
            guard insideHome, let data = FileManager.default.contents(atPath: full) else {
                return .html(messagePage(ctx, "Not found", "The file could not be read."), status: .notFound)
            }
            let type =
                full.hasSuffix(".csv")
                ? "text/csv; charset=utf-8"
                : full.hasSuffix(".txt") || full.hasSuffix("SUMS")
                    ? "text/plain; charset=utf-8" : "application/octet-stream"
            var h: HTTPFields = [:]
            h[.contentDisposition] = "attachment; filename=\"\(parts.last ?? "file")\""
            return Response.bytes(Array(data), type: type, headers: h)
        }
        var names = ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).filter { !$0.hasPrefix(".") }
            .sorted()
        if aboveHome { names = names.filter { $0 == home[parts.count] } }
        var entries: [(name: String, folder: Bool, size: Int64, modified: Int64)] = []
        for n in names {
            guard let a = try? FileManager.default.attributesOfItem(atPath: full + "/" + n) else { continue }
            let folder = (a[.type] as? FileAttributeType) == .typeDirectory
            entries.append(
                (
                    n, folder, (a[.size] as? NSNumber)?.int64Value ?? 0,
                    Int64((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)
                ))
        }
        return .html(archivePage(ctx, parts, entries))
    }
}
