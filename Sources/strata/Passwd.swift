import ArgumentParser
import Foundation
import StrataCore

struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Print a password hash for [[ftp.users]] password_hash or [web] api_tokens (reads the password or token from the terminal or stdin)."
    )

    func run() throws {
        let password: String
        if isatty(0) == 1 {
            guard let a = getpass("Password: ").map({ String(cString: $0) }), !a.isEmpty else { throw ExitCode(2) }
            guard let b = getpass("Again: ").map({ String(cString: $0) }), a == b else {
                printError("error: the passwords differ")
                throw ExitCode(2)
            }
            password = a
        } else {
            guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                printError("error: no password on stdin")
                throw ExitCode(2)
            }
            password = line
        }
        print(PasswordHash.make(password))
    }
}
