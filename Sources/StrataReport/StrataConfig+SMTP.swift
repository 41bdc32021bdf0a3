import Foundation
import StrataConfig
import StrataMail

extension StrataConfig.SMTP {
    /// The mail server as the SMTP client takes it: one mapping for the service and `strata report --send`.
    public var server: SMTPServer {
        SMTPServer(
            host: host, port: port, security: SMTPSecurity(rawValue: security.rawValue) ?? .starttls,
            credentials: username.map { SMTPCredentials(username: $0, password: password ?? "") }, caFile: caFile,
            timeout: Int(timeout), clientName: ProcessInfo.processInfo.hostName)
    }
}
