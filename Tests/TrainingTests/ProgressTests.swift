import Foundation
import Testing
@testable import Training

@Suite("Progress line")
struct ProgressTests {
    @Test("iteration, kimg, rate, ETA and losses")
    func format() {
        let line = ProgressLine(iteration: 1200, total: 800_000, kimg: 19.2, rate: 3.41,
                                scalars: [Scalar("d", 1.23456), Scalar("g", 0.000123456), Scalar("path", 1234.5)])
        #expect(line.description == "iter 1200/800000  kimg 19.2  3.41 it/s  ETA 2d 17:04:12  d 1.235  g 0.0001235  path 1234")
        #expect(ProgressLine(iteration: 0, total: 10, kimg: 0, rate: nil, scalars: []).description
            == "iter 0/10  kimg 0.0  -- it/s  ETA --")
        #expect(ProgressLine(iteration: 5, total: 10, kimg: 0.08, rate: 25, scalars: [Scalar("mse", .nan)]).description
            == "iter 5/10  kimg 0.1  25.0 it/s  ETA 0:00  mse nan")
    }

    @Test("durations")
    func durations() {
        #expect(ProgressLine.duration(59.4) == "0:59")
        #expect(ProgressLine.duration(59.6) == "1:00")
        #expect(ProgressLine.duration(3600) == "1:00:00")
        #expect(ProgressLine.duration(86400 + 61) == "1d 00:01:01")
    }

    @Test("lines every interval, measured over this session; nothing before the first interval")
    func lines() {
        var time = 100.0
        var out: [String] = []
        let reporter = ProgressReporter(mode: .lines(interval: 5), now: { time }, output: { out.append($0) })
        reporter.begin(at: 10)
        for (t, iteration) in [(101.0, 11), (104.0, 12), (106.0, 13), (108.0, 14), (111.5, 15)] {
            time = t
            reporter.update(iteration: iteration, total: 20, kimg: Double(iteration) * 0.016, scalars: [Scalar("d", 0.5)])
        }
        #expect(out == ["iter 13/20  kimg 0.2  0.50 it/s  ETA 0:14  d 0.5\n", "iter 15/20  kimg 0.2  0.43 it/s  ETA 0:12  d 0.5\n"])
        reporter.message("resumed")
        #expect(out.last == "resumed\n")
    }

    @Test("the bar redraws in place at most 10 times a second and ends its line before a message")
    func bar() {
        var time = 0.0
        var out: [String] = []
        let reporter = ProgressReporter(mode: .bar, now: { time }, output: { out.append($0) })
        reporter.begin(at: 0)
        for (t, iteration) in [(0.5, 1), (0.55, 2), (0.7, 3), (0.72, 4)] {
            time = t
            reporter.update(iteration: iteration, total: 4, kimg: 0, scalars: [])
        }
        #expect(out == ["\riter 1/4  kimg 0.0  2.00 it/s  ETA 0:02\u{1B}[K", "\riter 3/4  kimg 0.0  4.29 it/s  ETA 0:00\u{1B}[K",
                        "\riter 4/4  kimg 0.0  5.56 it/s  ETA 0:00\u{1B}[K"])
        reporter.message("done")
        #expect(Array(out.suffix(2)) == ["\n", "done\n"])
    }

    @Test("quiet prints nothing")
    func quiet() {
        var out: [String] = []
        let reporter = ProgressReporter(mode: .quiet, now: { 1e9 }, output: { out.append($0) })
        reporter.begin(at: 0)
        reporter.update(iteration: 1, total: 1, kimg: 0, scalars: [])
        reporter.message("x")
        reporter.finish()
        #expect(out.isEmpty)
    }
}

@Suite("Iteration")
struct IterationTests {
    @Test("every(n) fires on index 0, n, 2n as rosinality's i % n == 0; never for n <= 0")
    func every() {
        #expect((0..<10).filter { Iteration(index: $0, total: 10).every(4) } == [0, 4, 8])
        #expect((0..<10).filter { Iteration(index: $0, total: 10).every(0) }.isEmpty)
        #expect(TrainingLoop.iteration(named: "runs/x/checkpoint/010000.pt") == 10000)
        #expect(TrainingLoop.iteration(named: "550000.safetensors") == 550000)
        #expect(TrainingLoop.iteration(named: "stylegan2-ffhq.pt") == nil)
    }

    @Test("options below 1 are refused by name")
    func options() {
        #expect { try TrainingOptions(iterations: 10, checkpointEvery: 0).validate() } throws: {
            "\($0)" == "checkpointEvery must be at least 1, got 0"
        }
        #expect { try TrainingOptions(iterations: -1).validate() } throws: { "\($0)" == "iterations must not be negative, got -1" }
    }
}

@Suite("Options in config.json")
struct OptionsCodingTests {
    @Test("resume is a word or a checkpoint path", arguments: [
        (Resume.fresh, #""fresh""#), (.auto, #""auto""#), (.checkpoint(path: "runs/a/checkpoint/000100.pt"), #"{"checkpoint":"runs/a/checkpoint/000100.pt"}"#),
    ])
    func resume(value: Resume, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        #expect(String(decoding: try encoder.encode(value), as: UTF8.self) == json)
        #expect(try JSONDecoder().decode(Resume.self, from: Data(json.utf8)) == value)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Resume.self, from: Data(#""latest""#.utf8)) }
    }
}
