import StrataCore

/// HTML text escaping and the page frame every dashboard page shares: one inline stylesheet,
/// no scripts, no external files (the dashboard works on a plant network without internet).
package enum HTML {
    package static func escape(_ s: String) -> String { HTMLText.escape(s) }

    /// Percent-encodes a path segment or query value.
    package static func urlEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(b))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return out
    }

    /// A whole page: the site name, the navigation (for a logged-in user) and `body`.
    package static func page(title: String, site: String, user: String?, csrf: String?, current: String, body: String)
        -> String
    {
        var nav = ""
        if let user {
            let links = [("/", "Overview"), ("/archive/", "Archive"), ("/outbox", "Reports"), ("/config", "Config")]
            nav = "<nav aria-label=\"Main\"><ul>"
            for (href, label) in links {
                let here = href == current ? " aria-current=\"page\"" : ""
                nav += "<li><a href=\"\(href)\"\(here)>\(label)</a></li>"
            }
            nav += "</ul><form method=\"post\" action=\"/logout\" class=\"logout\">"
            if let csrf { nav += "<input type=\"hidden\" name=\"csrf\" value=\"\(escape(csrf))\">" }
            nav += "<span>\(escape(user))</span> <button type=\"submit\">Log out</button></form></nav>"
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · \(escape(site))</title>
            <style>\(stylesheet)</style></head>
            <body><header><a class="brand" href="/">Strata</a> <span class="site">\(escape(site))</span>\(nav)</header>
            <main id="main">\(body)</main>
            <footer>Strata · times in site time · <a href="/api/v1/openapi.json">API</a></footer>
            </body></html>
            """
    }

    /// Dark text on light ground (contrast above 7:1), focus rings kept, one column on a phone.
    static let stylesheet = """
        :root{--fg:#1a1a1a;--muted:#4a4a4a;--bg:#fff;--line:#d0d0d0;--accent:#0b5cad;--ok:#1b7f3b;--warn:#8a5a00;--bad:#b00020}
        *{box-sizing:border-box}body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
        .brand{font-weight:700;color:var(--fg);text-decoration:none}.site{color:var(--muted)}
        nav{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;margin-left:auto}nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;margin:0;padding:0}
        nav a[aria-current]{font-weight:700;text-decoration:underline}a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus{outline:3px solid #f2a900;outline-offset:2px}
        main{padding:1rem;max-width:72rem;margin:0 auto}footer{padding:1rem;color:var(--muted);font-size:.875rem;text-align:center}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.table-wrap{overflow-x:auto}
        .state{display:inline-flex;align-items:center;gap:.35rem;font-weight:600}.state::before{content:"";width:.8rem;height:.8rem;border-radius:50%;background:currentColor}
        .state-ok{color:var(--ok)}.state-stale{color:var(--warn)}.state-failing{color:var(--bad)}.state-idle{color:var(--muted)}
        .error{color:var(--bad)}.muted{color:var(--muted)}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.25rem}
        svg.chart{width:100%;height:auto;max-height:18rem;border:1px solid var(--line);background:#fcfcfc}
        form.picker{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:1rem 0}label{display:flex;flex-direction:column;font-size:.9rem}
        input,select,button{font:inherit;padding:.35rem .5rem;border:1px solid #767676;border-radius:4px;background:#fff;color:var(--fg)}
        button{background:var(--accent);color:#fff;border-color:var(--accent);cursor:pointer}.logout button{background:#fff;color:var(--accent)}
        .login{max-width:22rem;margin:3rem auto}.login label{margin-bottom:.75rem}pre{white-space:pre-wrap;overflow-x:auto;background:#f6f6f6;padding:1rem;border:1px solid var(--line)}
        @media (max-width:40rem){th,td{padding:.3rem}main{padding:.5rem}.hide-narrow{display:none}
        table.meters thead{position:absolute;left:-9999px}table.meters tr{display:block;border-bottom:2px solid var(--line);padding:.4rem 0}
        table.meters th,table.meters td{display:flex;justify-content:space-between;gap:1rem;border:0;text-align:left}
        table.meters td::before{content:attr(data-label);color:var(--muted)}table.meters th br{display:none}}
        """
}
