import Foundation
import StrataTestSupport

/// Reads .eml files with Python's `email` package and opens their ZIPs with `zipfile`: the
/// subject, both body parts, and each CSV compared with the archive's file of the same path.
func parseMessages(_ paths: [String], archive: String, dialect: String) throws -> [[String: Any]] {
    let script = """
        import email, email.policy, hashlib, io, json, os, sys, zipfile
        archive, dialect = sys.argv[1], sys.argv[2]
        out = []
        for path in sys.argv[3:]:
            m = email.message_from_bytes(open(path, "rb").read(), policy=email.policy.default)
            plain = m.get_body(("plain",)); html = m.get_body(("html",))
            r = {"path": path, "subject": str(m["Subject"]), "message_id": str(m["Message-ID"]), "to": str(m["To"]),
                 "plain": plain.get_content() if plain else None, "html": html.get_content() if html else None,
                 "zips": [], "csv_equal": 0, "csv_differ": [], "csv_members": []}
            for part in m.iter_attachments():
                r["zips"].append(part.get_filename())
                z = zipfile.ZipFile(io.BytesIO(part.get_content()))
                assert z.testzip() is None
                for name in z.namelist():
                    r["csv_members"].append(name)
                    if name.startswith("summary-"):
                        continue
                    with open(os.path.join(archive, dialect, name), "rb") as f:
                        if f.read() == z.read(name): r["csv_equal"] += 1
                        else: r["csv_differ"].append(name)
            out.append(r)
        print(json.dumps(out))
        """
    let data = try PythonPeer.script(script, [archive, dialect] + paths, interpreter: PythonPeer.interpreter).stdout
    return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
}
