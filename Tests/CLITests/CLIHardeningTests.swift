import Checkpoints
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// What a new user hit: unbounded flags, seeds named in 32 bits, outputs replacing inputs, raw Foundation and
/// libtorch errors, progress only on a terminal, negative numbers taken for missing values.
@Suite("CLI: bounds, names, collisions and messages")
struct CLIHardeningTests {
    let tiny: String

    init() throws {
        try Runtime.start()
        tiny = try Fixtures.path("stylegan2-tiny64/generator.pt")
    }

    /// An inversion of fixture code 0 made with the tiny generator.
    func writeInversion(to path: String) throws {
        let cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
        try InversionFile(wPlus: try cases["w_plus"]!.select(0, 0),
                          metadata: .init(method: "test", generatorSHA256: try SHA256.hex(ofFile: tiny), imageSize: 64, seconds: 0))
            .write(to: path)
    }

    /// stderr's non-empty lines.
    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    func expectFailure(_ arguments: [String], saying parts: [String], in directory: URL? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLI.run(arguments, in: directory)
        #expect(r.status != 0, "exit status for \(arguments)", sourceLocation: sourceLocation)
        for part in parts {
            #expect(r.stderr.contains(part), "stderr says \(part): \(r.stderr)", sourceLocation: sourceLocation)
        }
        #expect(!r.stderr.contains("Missing value"), "\(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func threadsAreBoundedByTheCores() throws {
        let dir = try Scratch()
        let most = 4 * ProcessInfo.processInfo.activeProcessorCount
        let started = Date()
        try expectFailure(["generate", "--checkpoint", tiny, "--seeds", "0", "--threads", "100000", "--outdir", dir.path("o")],
                          saying: ["--threads must be at most \(most)", "got 100000"])
        #expect(Date().timeIntervalSince(started) < 30, "refused before any thread starts")
        #expect(!FileManager.default.fileExists(atPath: dir.path("o")))
        try expectFailure(["doctor", "--threads", "-2"], saying: ["--threads must be at least 1", "got -2"])
        let r = try CLI.run(["doctor", "--threads", "\(most)"])
        #expect(r.status == 0 && r.stdout.contains("threads" + String(repeating: " ", count: 17) + "\(most)"), "\(r.stderr)")
    }

    @Test func seedsAreNamedInFull() throws {
        let dir = try Scratch()
        // %04d of the low 32 bits named seed 3000000000 "seed-1294967296".
        let r = try CLI.run(["generate", "--checkpoint", tiny, "--seeds", "0,5,12345,3000000000,4294967295",
                             "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("out")).sorted()
            == ["latents.npy", "seed0000.png", "seed0005.png", "seed12345.png", "seed3000000000.png", "seed4294967295.png"])
        #expect(try NumPy.readArray(dir.path("out/latents.npy")).shape == [5, 128])
    }

    @Test func seedListsOutOfRangeOrRepeatedAreRefused() throws {
        let generate = ["generate", "--checkpoint", tiny, "--outdir", "unused", "--seeds"]
        // libtorch seeds with the low 32 bits: seed 2^32 would be seed 0 again under another name.
        try expectFailure(generate + ["0,4294967296"], saying: ["--seeds must be at most 4294967295", "repeat 0", "got 4294967296"])
        try expectFailure(generate + ["9223372036854775808"], saying: ["--seeds", "larger than 9223372036854775807"])
        try expectFailure(generate + ["1,2,1"], saying: ["seed 1 twice"])
        try expectFailure(generate + ["-3"], saying: ["--seeds", "-3 is negative"])
        try expectFailure(generate + ["0-2000000"], saying: ["--seeds", "more than 1000000"])
    }

    @Test func numericFlagsHaveRangesAndNegativesParse() throws {
        let dir = try Scratch()
        let generate = ["generate", "--checkpoint", tiny, "--seeds", "0", "--outdir", dir.path("o")]
        try expectFailure(generate + ["--batch", "-2"], saying: ["--batch must be at least 1, got -2"])
        try expectFailure(generate + ["--batch", "100000"], saying: ["--batch must be at most 1024"])
        try expectFailure(generate + ["--truncation", "-0.5"], saying: ["--truncation must be 0 or more, got -0.5"])
        try expectFailure(generate + ["--truncation", "nan"], saying: ["--truncation must be a finite number"])
        try expectFailure(["directions", "ganspace", "--checkpoint", tiny, "--samples", "-5", "--out", dir.path("d")],
                          saying: ["--samples must be at least 2, got -5"])
        try expectFailure(["directions", "sefa", "--checkpoint", tiny, "--components", "-1", "--out", dir.path("d")],
                          saying: ["--components must be at least 1, got -1"])
        try expectFailure(["directions", "ganspace", "--checkpoint", tiny, "--seed", "-1", "--out", dir.path("d")],
                          saying: ["--seed must be 0 or more, got -1"])
        try expectFailure(["random-generator", "--seed", "4294967297", dir.path("g.safetensors")],
                          saying: ["--seed must be at most 4294967295", "repeat 1"])
        try expectFailure(["random-generator", "--style-dim", "1000000", dir.path("g.safetensors")],
                          saying: ["--style-dim must be at most 4096"])
        try expectFailure(["random-generator", "--channels", "8,8,x", dir.path("g.safetensors")],
                          saying: ["--channels must be 5 whole numbers"])
        // A negative --invalid-value is a value: the run gets as far as the missing latents file.
        try expectFailure(["directions", "interfacegan", "--checkpoint", tiny, "--latents", dir.path("none.npy"),
                           "--labels", dir.path("none.csv"), "--invalid-value", "-1", "--out", dir.path("d")],
                          saying: ["none.npy"])
        #expect(!FileManager.default.fileExists(atPath: dir.path("o")) && !FileManager.default.fileExists(atPath: dir.path("d")))

        // Strengths and row weights that are negative are edits, not missing values.
        try writeInversion(to: dir.path("x.safetensors"))
        let edit = ["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--direction", "sefa:0", "--outdir", dir.path("e")]
        var r = try CLI.run(edit + ["--strength", "-3:3:7"])
        #expect(r.status == 0 && r.stdout.contains("strengths -3, -2, -1, 0, 1, 2, 3"), "\(r.stderr)")
        r = try CLI.run(edit + ["--strength", "-1", "--layer-weights", "-1,-0.5,0,0,0,0,0,0,0,0.5"])
        #expect(r.status == 0, "\(r.stderr)")
        try expectFailure(edit + ["--strength", "-1:1:5000"], saying: ["--strength", "1...1000"])
    }

    @Test func outputsNeverReplaceInputsOrEachOther() throws {
        let dir = try Scratch()
        var r = try CLI.run(["generate", "--checkpoint", tiny, "--seeds", "0-1", "--outdir", dir.path("src")])
        #expect(r.status == 0, "\(r.stderr)")
        let latents = try Data(contentsOf: URL(fileURLWithPath: dir.path("src/latents.npy")))
        // Generating from src/latents.npy into src would replace it; so would a link to src.
        try FileManager.default.createSymbolicLink(atPath: dir.path("link"), withDestinationPath: dir.path("src"))
        for outdir in [dir.path("src"), dir.path("link"), dir.path("src/../src")] {
            try expectFailure(["generate", "--checkpoint", tiny, "--latent", dir.path("src/latents.npy"), "--outdir", outdir],
                              saying: ["would overwrite the input", "latents.npy"])
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("src/latents.npy"))) == latents)
        #expect(!FileManager.default.fileExists(atPath: dir.path("src/latent0000.png")))
        try expectFailure(["generate", "--checkpoint", tiny, "--seeds", "0", "--outdir", dir.path("o"),
                           "--save-raw", dir.path("o/latents.npy")], saying: ["latents.npy and --save-raw would both write latents.npy in \(dir.path("o"))"])

        // Two inversions of one name would write the same edit images.
        try FileManager.default.createDirectory(atPath: dir.path("a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.path("b"), withIntermediateDirectories: true)
        try writeInversion(to: dir.path("a/x.safetensors"))
        try writeInversion(to: dir.path("b/x.safetensors"))
        try expectFailure(["edit", dir.path("a/x.safetensors"), dir.path("b/x.safetensors"), "--checkpoint", tiny,
                           "--direction", "sefa:0", "--outdir", dir.path("e")],
                          saying: ["a/x.safetensors and \(dir.path("b/x.safetensors")) would both write x_*.png"])
        // align, directions, convert and render check the same way.
        try expectFailure(["align", dir.path("src/seed0000.png"), "--outdir", dir.path("src")],
                          saying: ["would overwrite the input", "seed0000.png"])
        try expectFailure(["directions", "interfacegan", "--checkpoint", tiny, "--latents", dir.path("src/latents.npy"),
                           "--labels", dir.path("labels.csv"), "--name", "latents", "--out", dir.path("src")],
                          saying: ["would overwrite the input"])
        r = try CLI.run(["random-generator", "--size", "8", "--style-dim", "8", "--n-mlp", "1", dir.path("g.safetensors")])
        #expect(r.status == 0, "\(r.stderr)")
        let generator = try Data(contentsOf: URL(fileURLWithPath: dir.path("g.safetensors")))
        try expectFailure(["convert", dir.path("g.safetensors"), dir.path("g.safetensors")], saying: ["would overwrite the input"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir.path("g.safetensors"))) == generator)
        try expectFailure(["render", dir.path("g.safetensors"), "--checkpoint", tiny, "--out", dir.path("g.safetensors")],
                          saying: ["would overwrite the input"])
    }

    @Test func anOutputFolderThatCannotBeMadeIsOneSentence() throws {
        let dir = try Scratch()
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.path("file")))
        let outdir = dir.path("file/sub")
        let runs: [[String]] = [
            ["generate", "--checkpoint", tiny, "--seeds", "0", "--outdir", outdir],
            ["directions", "sefa", "--checkpoint", tiny, "--out", outdir],
            ["align", dir.path("face.png"), "--outdir", outdir],
        ]
        for arguments in runs {
            let r = try CLI.run(arguments)
            #expect(r.status != 0)
            #expect(lines(r.stderr) == ["Error: cannot create output folder \(outdir): \(dir.path("file")) is a file"],
                    "\(arguments[0]): \(r.stderr)")
        }
        // A Foundation error that reaches the top (demo makes its folder itself) is the file and the reason; with
        // OutputFolder it is the sentence above.
        let r = try CLI.run(["demo", "--outdir", outdir, "--steps", "1", "--samples", "100"])
        #expect(r.status != 0 && lines(r.stderr).count == 1 && r.stderr.contains(outdir) && !r.stderr.contains("Domain")
                    && (r.stderr.contains("not a directory") || r.stderr.contains("is a file")), "\(r.stderr)")
    }

    @Test func aCUDADeviceThatIsNotThereIsOneSentence() throws {
        let dir = try Scratch()
        let asked = Runtime.hasCUDALibrary ? "cuda:\(Runtime.cudaDeviceCount)" : "cuda"
        let expected = Runtime.hasCUDALibrary
            ? "no CUDA device \(Runtime.cudaDeviceCount); found \(Runtime.cudaDeviceCount)"
            : "this build of libtorch has no CUDA support (torch \(Runtime.builtForVersion)); use --device cpu"
        for arguments in [["generate", "--checkpoint", tiny, "--seeds", "0", "--outdir", dir.path("o")],
                          ["directions", "sefa", "--checkpoint", tiny, "--out", dir.path("d")]] {
            let r = try CLI.run(arguments + ["--device", asked])
            #expect(r.status != 0)
            #expect(lines(r.stderr).count == 1 && lines(r.stderr)[0].hasPrefix("Error: " + expected), "\(r.stderr)")
        }
        // A libtorch error that reaches the top (invert moves the generator there unchecked) keeps its first line,
        // not the dispatcher's table of backends.
        if !Runtime.hasCUDALibrary {
            let r = try CLI.run(["invert", dir.path("none.png"), "--checkpoint", tiny, "--losses", "l2", "--no-align",
                                 "--device", "cuda", "--outdir", dir.path("i")])
            #expect(r.status != 0 && lines(r.stderr).count == 1 && r.stderr.contains("CUDA") && r.stderr.count < 200,
                    "\(r.stderr)")
        }
    }

    @Test func progressIsPrintedAsLinesUnderAPipeUnlessQuiet() throws {
        let dir = try Scratch()
        let generate = ["generate", "--checkpoint", tiny, "--seeds", "0-2", "--batch", "1", "--outdir", dir.path("o")]
        var r = try CLI.run(generate + ["--progress-interval", "0"])
        #expect(r.status == 0, "\(r.stderr)")
        let progress = lines(r.stderr)
        #expect(progress.count == 3, "\(r.stderr)")
        for (line, prefix) in zip(progress, ["generate: 1/3 (33%) ", "generate: 2/3 (66%) ", "generate: 3/3 (100%) "]) {
            #expect(line.hasPrefix(prefix) && line.hasSuffix(" s"), "\(line)")
        }
        r = try CLI.run(generate + ["--progress-interval", "0", "--quiet"])
        #expect(r.status == 0 && r.stderr.isEmpty, "\(r.stderr)")
        r = try CLI.run(generate)
        #expect(r.status == 0 && r.stderr.isEmpty, "a run shorter than the 5 s interval prints nothing: \(r.stderr)")
    }

    @Test func failuresNameTheFileOnceAndPrintNothingElse() throws {
        let dir = try Scratch()
        try Data().write(to: URL(fileURLWithPath: dir.path("empty.png")))
        try Data().write(to: URL(fileURLWithPath: dir.path("empty.pt")))
        var r = try CLI.run(["align", dir.path("empty.png"), "--outdir", dir.path("o")])
        #expect(r.status != 0 && lines(r.stderr) == ["error: \(dir.path("empty.png")): empty file"], "\(r.stderr)")
        r = try CLI.run(["info", "--checkpoint", dir.path("empty.pt")])
        #expect(r.status != 0 && r.stdout.isEmpty, "no 'file' line before the error: \(r.stdout)")
        #expect(lines(r.stderr).count == 1 && r.stderr.contains("empty.pt"), "\(r.stderr)")
    }
}
