import HTTPTypes
import Hummingbird

/// An error answer as RFC 9457 problem+json: a title, the status, and a detail saying what to
/// do about it.
package struct Problem: HTTPResponseError, Sendable {
    package var status: HTTPResponse.Status
    package var title: String
    package var detail: String
    package var headers: HTTPFields = [:]

    package init(_ status: HTTPResponse.Status, _ title: String, _ detail: String) {
        self.status = status
        self.title = title
        self.detail = detail
    }

    package var response: Response {
        var w = JSONWriter()
        w.beginObject()
        w.field("type", "about:blank")
        w.field("title", title)
        w.field("status", Int(status.code))
        w.field("detail", detail)
        w.endObject()
        var h = headers
        h[.contentType] = "application/problem+json"
        h[.cacheControl] = "no-store"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    /// A thrown problem answers as itself, wherever it was thrown.
    package func response(from request: Request, context: some RequestContext) -> Response { response }

    static func from(_ e: WebReadError) -> Problem {
        switch e {
        case .unknownDevice: Problem(.notFound, "Unknown device", e.description + "; GET /api/v1/devices lists them")
        case .unknownChannel:
            Problem(.notFound, "Unknown channel", e.description + "; GET /api/v1/devices/{id} lists its channels")
        case .tooLarge: Problem(.contentTooLarge, "Range too large", e.description)
        case .store, .outbox, .other:
            Problem(.serviceUnavailable, "Store not readable", e.description + "; see `strata check` and the log")
        }
    }
}

extension Response {
    static func bytes(_ b: [UInt8], type: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:])
        -> Response
    {
        var h = extra
        h[.contentType] = type
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: b)))
    }

    static func html(_ s: String, status: HTTPResponse.Status = .ok) -> Response {
        var h: HTTPFields = [:]
        h[.contentType] = "text/html; charset=utf-8"
        h[.cacheControl] = "no-store"
        // No scripts, no frames, nothing from elsewhere: the pages need none of it.
        h[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        h[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    static func redirect(_ to: String, headers extra: HTTPFields = [:]) -> Response {
        var h = extra
        h[.location] = to
        return Response(status: .seeOther, headers: h)
    }
}
