import Foundation
import TestSupport
import Testing
import Torch

/// The page in a real browser: headless Chromium driven over WebDriver by chromedriver (Debian's `chromium` and
/// `chromium-driver`, with curl, which `scripts/setup.sh --test` installs). It uploads the astronaut, inverts it,
/// moves a slider, checks that the edit changed, fetches the downloads, runs a projector job and pastes the edit back. Screenshots and chromedriver's log go to
/// $STYLEGAN_TEST_ARTIFACTS/web-editor, else to a fresh temporary folder; the folder is printed.
@Suite("web editor in a browser", .serialized)
struct EditorBrowserTests {
    @Test(.enabled(if: EditorBrowserTests.Browser.tools != nil,
                   "needs chromium, chromedriver and curl: `scripts/setup.sh --test` installs them"),
          .timeLimit(.minutes(15)))
    func uploadInvertSlideDownload() throws {
        let tools = try #require(Browser.tools)
        let folder = try Self.artifacts()
        try EditorServerTests.withServer { port in
            let browser = Browser(tools, folder: folder)
            defer { browser.close() }
            do {
                try browser.start()
                try browser.command("url", ["url": "http://127.0.0.1:\(port)/"])
                try browser.wait("document.querySelectorAll('#method option').length > 0", "the page's /api/info")
                let file = try browser.element("#file")
                try browser.command("element/\(file)/value", ["text": EditorServerTests.astronaut])
                try browser.wait("!document.getElementById('invert').disabled", "a face in the upload")
                try browser.command("element/\(try browser.element("#invert"))/click")
                try browser.wait("document.getElementById('reconstruction').src.startsWith('blob:')"
                    + " && document.getElementById('edit').complete", seconds: 300, "the inversion")
                try browser.screenshot("1-inverted")

                try browser.script("""
                    const edit = document.getElementById('edit'); window.before = edit.src;
                    const s = document.querySelector('#sliders input[type=range][data-direction=smile]')
                      || document.querySelector('#sliders input[type=range]');
                    s.value = s.max;
                    s.dispatchEvent(new Event('input', { bubbles: true }));
                    s.dispatchEvent(new Event('change', { bubbles: true }));
                    """)
                try browser.wait("document.getElementById('edit').src !== window.before"
                    + " && document.getElementById('edit').complete && document.getElementById('edit').naturalWidth > 0",
                    "the edit after moving a slider")
                // Both images are same-origin blobs, so a canvas can read their pixels.
                let differs = try browser.script("""
                    const pixels = (id) => { const img = document.getElementById(id), c = document.createElement('canvas');
                      c.width = img.naturalWidth; c.height = img.naturalHeight; c.getContext('2d').drawImage(img, 0, 0);
                      return c.toDataURL(); };
                    return pixels('reconstruction') !== pixels('edit');
                    """).bool()
                #expect(differs, "moving the slider left the edit equal to the reconstruction")
                try browser.screenshot("2-edited")

                // The page's CSP (connect-src 'self') refuses fetch() of blob: URLs: #downloadPNG is compared instead.
                #expect(try browser.script(
                    "return document.getElementById('downloadPNG').href === document.getElementById('edit').src").bool())
                let downloads = try browser.asyncScript("""
                    Promise.all(['downloadLatent', 'downloadInversion'].map((id) => fetch(document.getElementById(id).href)
                      .then(async (r) => [r.status, (await r.arrayBuffer()).byteLength])))
                      .then(done, (error) => done(String(error)));
                    """)
                for (name, reply) in zip(["latent.npy", "inversion.safetensors"], try downloads.array()) {
                    let (status, bytes) = (try reply[0].int(), try reply[1].int())
                    #expect(status == 200 && bytes > 1000, "\(name): status \(status), \(bytes) bytes")
                }

                // An optimisation runs as a job: the progress bar shows, then the result replaces the reconstruction.
                try browser.script("""
                    document.getElementById('method').value = 'projector';
                    document.getElementById('method').dispatchEvent(new Event('change'));
                    document.getElementById('steps').value = '15'; window.before = document.getElementById('reconstruction').src;
                    """)
                try browser.command("element/\(try browser.element("#invert"))/click")
                try browser.wait("document.getElementById('status').textContent.startsWith('projector:')"
                    + " && document.getElementById('reconstruction').src !== window.before", seconds: 300, "the projector job")
                #expect(try browser.script("return document.getElementById('jobProgress').hidden").bool())
                try browser.command("element/\(try browser.element("#pasteButton"))/click")
                try browser.wait("!document.getElementById('pasted').hidden && document.getElementById('pasted').naturalWidth === 512",
                                       "the paste-back")
                try browser.screenshot("3-job-and-paste-back")
            } catch {
                try? browser.screenshot("failure", seconds: 10)
                throw error
            }
        }
    }

    /// $STYLEGAN_TEST_ARTIFACTS/web-editor, else a fresh temporary folder; created and printed.
    static func artifacts() throws -> URL {
        let root = ProcessInfo.processInfo.environment["STYLEGAN_TEST_ARTIFACTS"].flatMap { $0.isEmpty ? nil : $0 }
            .map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("stylegan-artifacts-\(UUID().uuidString)")
        let folder = root.appendingPathComponent("web-editor")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        print("web editor in a browser: screenshots and chromedriver.log in \(folder.path)")
        return folder
    }

    /// chromedriver and one Chromium session, all bounded in time. `close()` leaves nothing running: it kills
    /// chromedriver's process group (Foundation makes the child a group leader; Chromium stays in its group, and its
    /// crash handlers, which leave it, exit with Chromium) with SIGKILL, because a child started from a test's
    /// thread inherits a signal mask that blocks SIGTERM: `terminate()` is ignored and a `waitUntilExit()` after it
    /// never returns.
    final class Browser: @unchecked Sendable {
        struct Tools: Sendable { let chromium, chromedriver, curl: String }

        /// The real binary first: Debian's /usr/bin/chromium is a shell wrapper that adds flags of its own.
        static let tools: Tools? = {
            func first(_ paths: [String]) -> String? { paths.first { FileManager.default.isExecutableFile(atPath: $0) } }
            guard let chromium = first(["/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"]),
                  let chromedriver = first(["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]),
                  let curl = first(["/usr/bin/curl"])
            else { return nil }
            return Tools(chromium: chromium, chromedriver: chromedriver, curl: curl)
        }()

        let tools: Tools
        let folder: URL
        // Generous: under CI every suite runs at once on two cores.
        let deadline = Date().addingTimeInterval(600)
        /// Chromium's profile: fresh for each run, and a name to find its processes by.
        let profile = FileManager.default.temporaryDirectory
            .appendingPathComponent("stylegan-chromium-\(UUID().uuidString)")
        let driver = Process()
        let driverExited = DispatchSemaphore(value: 0)
        var base = ""
        var session: String?

        init(_ tools: Tools, folder: URL) {
            self.tools = tools
            self.folder = folder
        }

        func start() throws {
            let log = folder.appendingPathComponent("chromedriver.log")
            guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
                throw TorchError("cannot write \(log.path)")
            }
            driver.executableURL = URL(fileURLWithPath: tools.chromedriver)
            // Port 0: chromedriver takes a free port and prints it; a fixed one can belong to a stray chromedriver.
            driver.arguments = ["--port=0"]
            // A file, never an unread pipe: chromedriver blocks once it has written 64 KB into one.
            let output = try FileHandle(forWritingTo: log)
            (driver.standardInput, driver.standardOutput, driver.standardError) = (FileHandle.nullDevice, output, output)
            driver.terminationHandler = { [driverExited] _ in driverExited.signal() }
            try driver.run()
            try output.close()
            let end = min(deadline, Date().addingTimeInterval(20))
            while base.isEmpty {
                let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                if let range = text.range(of: "started successfully on port ") {
                    base = "http://127.0.0.1:\(text[range.upperBound...].prefix { $0.isNumber })"
                } else if !driver.isRunning || Date() > end {
                    throw TorchError("chromedriver did not start: \(text)")
                } else {
                    Thread.sleep(forTimeInterval: 0.05)
                }
            }
            let reply = try call("POST", "session", ["capabilities": ["alwaysMatch": [
                // Bounds inside the browser too: a page load or script past these fails the command.
                "timeouts": ["script": 120_000, "pageLoad": 120_000, "implicit": 0],
                "goog:chromeOptions": ["binary": tools.chromium, "args": [
                    "--headless=new", "--no-sandbox",  // no sandbox: the tests run as root in containers
                    "--disable-gpu", "--disable-dev-shm-usage",  // containers: no GPU, a small /dev/shm
                    "--window-size=1100,900", "--user-data-dir=\(profile.path)",
                ]],
            ]]])
            session = try reply["sessionId"].string()
        }

        /// Ends the session, then kills chromedriver's process group and anything still using the profile.
        func close() {
            if let session { _ = try? Self.curl(tools.curl, request("DELETE", "session/\(session)", nil, seconds: 10)) }
            let pid = driver.processIdentifier
            if pid > 0 {
                if kill(-pid, SIGKILL) != 0 { kill(pid, SIGKILL) }
                _ = driverExited.wait(timeout: .now() + 5)
            }
            for other in (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap(Int32.init) ?? [] {
                let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(other)/cmdline"))) ?? Data()
                if String(decoding: command, as: UTF8.self).contains(profile.path) { kill(other, SIGKILL) }
            }
            try? FileManager.default.removeItem(at: profile)
        }

        /// curl's arguments for one WebDriver request, its time limited by `seconds` and the run's deadline.
        func request(_ method: String, _ path: String, _ body: [String: Any]?, seconds: Double) throws -> [String] {
            let limit = max(1, min(seconds, deadline.timeIntervalSinceNow))
            var arguments = ["-sS", "--max-time", String(format: "%.0f", limit), "-X", method, "\(base)/\(path)"]
            if let body {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                arguments += ["-H", "Content-Type: application/json", "--data-raw", json]
            }
            return arguments
        }

        /// One WebDriver request; its reply's `value`. Through curl, since chromedriver's header lines have no space
        /// after the colon, which FoundationNetworking refuses.
        @discardableResult
        func call(_ method: String, _ path: String, _ body: [String: Any]? = nil, seconds: Double = 120) throws
            -> JSON
        {
            let arguments = try request(method, path, body, seconds: seconds)
            // Blocking on this thread: a busy concurrency pool in this process cannot hold up the reply.
            let data = try Self.curl(tools.curl, arguments)
            let value = try JSON(parsing: data, source: "WebDriver \(method) \(path)")["value"]
            if case .object(let members) = value.value, case .string(let error)? = members["error"] {
                throw TorchError("WebDriver \(method) \(path): \(error): \((try? value["message"].string()) ?? "")")
            }
            return value
        }

        /// Runs curl and returns its stdout, read to the end; --max-time ends it, SIGKILL if it outlives that.
        static func curl(_ curl: String, _ arguments: [String]) throws -> Data {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: curl)
            process.arguments = arguments
            let output = Pipe()
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let exited = DispatchSemaphore(value: 0)
            process.terminationHandler = { _ in exited.signal() }
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            if exited.wait(timeout: .now() + 10) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
            guard process.terminationStatus == 0 else {
                let url = arguments.first { $0.hasPrefix("http") } ?? ""
                throw TorchError("curl \(url): exit \(process.terminationStatus) (7: no connection, 28: timed out)")
            }
            return data
        }

        @discardableResult
        func command(_ path: String, _ body: [String: Any] = [:]) throws -> JSON {
            try call("POST", "session/\(session ?? "")/\(path)", body)
        }

        func element(_ css: String) throws -> String {
            let found = try command("element", ["using": "css selector", "value": css])
            return try #require(try found.object().values.first, "no element \(css)").string()
        }

        @discardableResult
        func script(_ source: String) throws -> JSON {
            try command("execute/sync", ["script": source, "args": []])
        }

        /// `source` with `done`, the callback that returns its result.
        func asyncScript(_ source: String) throws -> JSON {
            let script = "const done = arguments[arguments.length - 1];\n" + source
            return try command("execute/async", ["script": script, "args": []])
        }

        /// Polls the JavaScript `expression` until it is true, for up to `seconds` and no later than the run's deadline.
        func wait(_ expression: String, seconds: Double = 180, _ what: String) throws {
            let end = min(deadline, Date().addingTimeInterval(seconds))
            while Date() < end {
                if try script("return !!(\(expression));").value == .bool(true) { return }
                Thread.sleep(forTimeInterval: 0.2)
            }
            let status = (try? script("return document.getElementById('status').textContent").string()) ?? "?"
            throw TorchError("timed out waiting for \(what) (\(expression)); #status says: \(status)")
        }

        func screenshot(_ name: String, seconds: Double = 45) throws {
            let encoded = try call("GET", "session/\(session ?? "")/screenshot", seconds: seconds).string()
            let png = try #require(Data(base64Encoded: encoded), "screenshot \(name) is not base64")
            try png.write(to: folder.appendingPathComponent("\(name).png"))
        }
    }
}
