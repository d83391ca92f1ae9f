import Foundation
import Synchronization
import TestSupport
import Testing

/// The child-process runner behind `CLI.run`, with /bin/sh as the child.
@Suite("Test support: child processes")
struct ChildProcessTests {
    let sh = URL(fileURLWithPath: "/bin/sh")

    /// Read one pipe to its end before the other, and a child that fills the second pipe's 64 KB buffer waits
    /// forever; a bounded timeout turns such a hang into a failure.
    @Test func aMegabyteOnStderrDoesNotDeadlock() throws {
        let r = try ChildProcess.run(sh, ["-c", "head -c 1048576 /dev/zero | tr '\\0' x >&2; echo done"],
                                     timeout: .seconds(60))
        #expect(r.status == 0)
        #expect(r.stdout == "done\n")
        #expect(r.stderr.utf8.count == 1 << 20 && r.stderr.allSatisfy { $0 == "x" })
    }

    /// Killed by SIGTERM (status 15), not left to finish its 30 s sleep.
    @Test func aChildPastItsTimeoutIsKilledAndReported() throws {
        let error = try #require(throws: ChildProcess.TimedOut.self) {
            try ChildProcess.run(sh, ["-c", "echo started; echo working >&2; exec sleep 30"], timeout: .seconds(1))
        }
        #expect(error.partial.stdout == "started\n" && error.partial.stderr == "working\n")
        #expect(error.partial.status == SIGTERM)
        #expect(error.description.contains("sh -c") && error.description.contains("1.0 seconds limit"),
                "\(error.description)")
    }

    @Test func aChildIgnoringSIGTERMGetsSIGKILL() throws {
        let error = try #require(throws: ChildProcess.TimedOut.self) {
            try ChildProcess.run(sh, ["-c", "trap '' TERM; echo started; while :; do sleep 0.1; done"],
                                 timeout: .seconds(1))
        }
        #expect(error.partial.status == SIGKILL && error.partial.stdout == "started\n")
    }

    @Test func folderAndEnvironmentReachTheChild() throws {
        let dir = try Scratch()
        let r = try ChildProcess.run(sh, ["-c", "pwd; echo \"$STYLEGAN_CHILD_TEST\"; echo \"$PATH\""], in: dir.url,
                                     environment: ["STYLEGAN_CHILD_TEST": "set"])
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(URL(fileURLWithPath: lines[0]).resolvingSymlinksInPath().path == dir.url.resolvingSymlinksInPath().path)
        #expect(lines[1] == "set")
        #expect(lines[2] == ProcessInfo.processInfo.environment["PATH"], "the rest of the environment is inherited")
    }

    /// Two runs started together from two threads: the second child starts after the first has exited.
    @Test func childrenRunOneAtATime() throws {
        let intervals = Mutex<[(start: Double, end: Double)]>([])
        let script = "date +%s.%N; sleep 0.5; date +%s.%N"
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            guard let r = try? ChildProcess.run(sh, ["-c", script], timeout: .seconds(30)) else { return }
            let times = r.stdout.split(separator: "\n").compactMap { Double($0) }
            if times.count == 2 { intervals.withLock { $0.append((times[0], times[1])) } }
        }
        let runs = intervals.withLock { $0.sorted { $0.start < $1.start } }
        try #require(runs.count == 2, "both children ran and printed two times")
        #expect(runs[1].start >= runs[0].end, "second started at \(runs[1].start), first ended at \(runs[0].end)")
    }
}

/// Where `Fixtures` looks: `$STYLEGAN_FIXTURES` when set and not empty, else ../shared/fixtures beside the package.
@Suite("Test support: fixtures")
struct FixturesLookupTests {
    @Test func theEnvironmentVariableChoosesTheFolder() throws {
        let dir = try Scratch()
        try Data("{}".utf8).write(to: dir.url.appendingPathComponent("probe.json"))
        let environment = ["STYLEGAN_FIXTURES": dir.url.path]
        #expect(Fixtures.root(environment: environment).path == dir.url.path)
        #expect(try Fixtures.path("probe.json", environment: environment) == dir.path("probe.json"))
        let error = try #require(throws: (any Error).self) {
            try Fixtures.path("absent.json", environment: environment)
        }
        #expect("\(error)".contains(dir.path("absent.json")) && "\(error)".contains("STYLEGAN_FIXTURES"), "\(error)")
    }

    @Test func unsetOrEmptyMeansBesideThePackage() throws {
        let beside = Fixtures.packageRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")
        for environment in [[:], ["STYLEGAN_FIXTURES": ""]] {
            #expect(Fixtures.root(environment: environment).standardizedFileURL.path == beside.standardizedFileURL.path)
            let error = try #require(throws: (any Error).self) {
                try Fixtures.path("absent.json", environment: environment)
            }
            #expect("\(error)".contains("../shared/fixtures") && "\(error)".contains("absent.json"), "\(error)")
        }
    }
}

/// The JSON reader tests use instead of `as!`: a wrong shape is an error naming where, not a crash.
@Suite("Test support: JSON")
struct JSONTests {
    @Test func typedAccessorsReadWhatIsThere() throws {
        let json = try JSON(parsing: #"{"rows": [{"name": "psnr", "mean": 31.5, "count": 2, "ok": true, "x": null}]}"#,
                            source: "out")
        let row = try json["rows"][0]
        #expect(try row["name"].string() == "psnr" && row["mean"].double() == 31.5 && row["count"].int() == 2)
        #expect(try row["ok"].bool() && row["x"].isNull && json["rows"].array().count == 1)
        #expect(try JSON.lines("{\"a\": 1}\n{\"a\": 2}\n", source: "lines").map { try $0["a"].int() } == [1, 2])
    }

    @Test func mismatchesAreErrorsThatSayWhere() throws {
        let json = try JSON(parsing: #"{"rows": [{"mean": "inf", "count": 2.5}]}"#, source: "eval")
        for (access, fragments) in [
            ({ _ = try json["rows"][0]["mean"].double() }, ["eval.rows[0].mean", "a number"]),
            ({ _ = try json["rows"][0]["count"].int() }, ["eval.rows[0].count", "an integer"]),
            ({ _ = try json["rows"][1] }, ["eval.rows", "no element 1"]),
            ({ _ = try json["cols"] }, ["eval", "no member \"cols\""]),
            ({ _ = try json["rows"]["mean"] }, ["eval.rows", "an object"]),
        ] as [(() throws -> Void, [String])] {
            let error = try #require(throws: (any Error).self) { try access() }
            for fragment in fragments { #expect("\(error)".contains(fragment), "\(error)") }
        }
        let error = try #require(throws: (any Error).self) { try JSON(parsing: "{\"a\": ", source: "stdout") }
        #expect("\(error)".contains("stdout: not JSON"), "\(error)")
    }
}
