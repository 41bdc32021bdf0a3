import Foundation
import StrataConfig
import StrataMQTT
import StrataMQTTLink

extension StrataConfig.MQTT {
    /// The client settings of `[mqtt]`, for the publisher and for the MQTT devices' inbox alike:
    /// broker, credentials (the password read from `password_file`) and TLS files.
    public func linkSettings(clientID: String, will: MQTTMessage? = nil) throws(MQTTError) -> MQTTLink.Settings {
        var s = MQTTLink.Settings(host: host, port: port, clientID: clientID, tls: tls)
        s.username = username
        if let f = passwordFile {
            guard let password = StrataConfig.passwordFile(f) else {
                throw .setup("cannot read mqtt.password_file \(f)")
            }
            s.password = password
        }
        s.caFile = caFile
        s.certFile = certFile
        s.keyFile = keyFile
        s.will = will
        return s
    }
}
