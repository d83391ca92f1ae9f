import Checkpoints
import Foundation
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan generate`, `info` and `convert` end to end on the built binary.
@Suite("CLI: generator commands")
struct GeneratorCLITests {
    let tiny: String

    init() throws {
        try Runtime.start()
        tiny = try Fixtures.path("stylegan2-tiny64/generator.pt")
    }

    @Test func versionAndDoctor() throws {
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.contains("stylegan") && version.stdout.contains("libtorch 2.13.0"))
        let doctor = try CLI.run(["doctor", "--threads", "1"])
        #expect(doctor.status == 0)
        for key in ["torch (loaded)", "_GLIBCXX_USE_CXX11_ABI", "threads                 1", "cpu features", "cuda devices"] {
            #expect(doctor.stdout.contains(key), "doctor prints \(key)")
        }
    }

    @Test func infoDescribesTheGenerator() throws {
        let r = try CLI.run(["info", "--checkpoint", tiny])
        #expect(r.status == 0)
        for line in ["resolution    64x64", "style_dim     128", "n_latent      10", "parameters    515992",
                     "layout        rosinality checkpoint (g_ema)", "also holds    args"] {
            #expect(r.stdout.contains(line), "info prints \(line)")
        }
    }

    @Test func generateFromSeedsMatchesTheLibrary() throws {
        let dir = try Scratch()
        let r = try CLI.run(["generate", "--checkpoint", tiny, "--seeds", "3-4,9", "--truncation", "0.7",
                             "--outdir", dir.path("out"), "--save-raw", dir.path("raw.npy"), "--batch", "2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "no progress bar when stderr is not a terminal")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("out")).sorted()
            == ["latents.npy", "seed0003.png", "seed0004.png", "seed0009.png"])
        let loaded = try GeneratorCheckpoint.load(tiny)
        let expected = try loaded.render(loaded.generator.z(seeds: [3, 4, 9]), space: .z, truncation: 0.7)
        let raw = try NumPy.readArray(dir.path("raw.npy"))
        #expect(raw.shape == [3, 3, 64, 64])
        // Batches of 2 and 1 against one of 3 may take other factorisations of the modulated conv: equal to rounding.
        try expectClose(raw, expected.images, tol: 1e-5, "raw output")
        let latents = try NumPy.readArray(dir.path("out/latents.npy"))
        #expect(latents.shape == [3, 128])
        try expectClose(latents, expected.latents, tol: 1e-6, "latents used")
    }

    @Test func bfloat16PrecisionStaysCloseToFloat32() throws {
        let dir = try Scratch()
        for precision in ["float32", "bfloat16"] {
            let r = try CLI.run(["generate", "--checkpoint", tiny, "--seeds", "1-2", "--outdir", dir.path(precision),
                                 "--save-raw", dir.path("\(precision).npy"), "--precision", precision])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let f32 = try NumPy.readArray(dir.path("float32.npy"))
        let bf16 = try NumPy.readArray(dir.path("bfloat16.npy"))
        #expect(bf16.dtype == .float32 && bf16.shape == f32.shape)
        let error = try (bf16 - f32).abs().max().item()
        let scale = try f32.abs().max().item()
        // The largest error is 1.0% of the largest value.
        #expect(error > 0 && error < 0.025 * scale, "max error \(error) against max |float32| \(scale)")
        let bad = try CLI.run(["generate", "--checkpoint", tiny, "--seeds", "1", "--precision", "float16"])
        #expect(bad.status != 0 && bad.stderr.contains("--precision"), "\(bad.stderr)")
    }

    @Test func generateFromWPlusAndZFiles() throws {
        let dir = try Scratch()
        let cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
        try NumPy.writeArray(try #require(cases["w_plus"]), to: dir.path("wplus.npy"))
        var r = try CLI.run(["generate", "--checkpoint", tiny, "--latent", dir.path("wplus.npy"), "--outdir",
                             dir.path("a"), "--save-raw", dir.path("a.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        try expectClose(try NumPy.readArray(dir.path("a.npy")), try #require(cases["image_w_plus"]),
                        "image_w_plus via CLI")
        #expect(try NumPy.readArray(dir.path("a/latents.npy")).shape == [3, 10, 128])
        try NumPy.writeArray(try #require(cases["z"]), to: dir.path("z.npy"))
        r = try CLI.run(["generate", "--checkpoint", tiny, "--latent", dir.path("z.npy"), "--latent-space", "z",
                         "--outdir", dir.path("b"), "--save-raw", dir.path("b.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        try expectClose(try NumPy.readArray(dir.path("b.npy")), try #require(cases["image_z"]), "image_z via CLI")
    }

    @Test func randomNoiseDependsOnTheSeedOnlyNotTheBatch() throws {
        let dir = try Scratch()
        for batch in ["1", "3"] {
            let r = try CLI.run(["generate", "--checkpoint", tiny, "--seeds", "0-2", "--noise", "random", "--batch", batch,
                                 "--outdir", dir.path("o\(batch)"), "--save-raw", dir.path("r\(batch).npy")])
            #expect(r.status == 0, "\(r.stderr)")
        }
        try expectClose(try NumPy.readArray(dir.path("r1.npy")), try NumPy.readArray(dir.path("r3.npy")), tol: 1e-5,
                        "batch 1 vs batch 3")
    }

    @Test func convertRoundTripsThroughSafetensors() throws {
        let dir = try Scratch()
        var r = try CLI.run(["convert", tiny, dir.path("g.safetensors")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["info", "--checkpoint", dir.path("g.safetensors")])
        #expect(r.stdout.contains("layout        safetensors") && r.stdout.contains("latent_avg    from file"))
        for (name, checkpoint) in [("a", tiny), ("b", dir.path("g.safetensors"))] {
            r = try CLI.run(["generate", "--checkpoint", checkpoint, "--seeds", "5", "--truncation", "0.5",
                             "--outdir", dir.path(name), "--save-raw", dir.path("\(name).npy")])
            #expect(r.status == 0, "\(r.stderr)")
        }
        try expectClose(try NumPy.readArray(dir.path("a.npy")), try NumPy.readArray(dir.path("b.npy")), tol: 0,
                        "original vs converted")
        // --half: float16 weights (about half the file), latent_avg float32, images within float16's rounding.
        r = try CLI.run(["convert", tiny, dir.path("h.safetensors"), "--half"])
        try #require(r.status == 0, "\(r.stderr)")
        let half = try Safetensors.read(dir.path("h.safetensors")).tensors
        #expect(half["latent_avg"]?.dtype == .float32 && half["conv1.conv.weight"]?.dtype == .float16)
        let sizes = try [dir.path("g.safetensors"), dir.path("h.safetensors")].map {
            try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int
        }
        #expect(Double(sizes[1]) < 0.6 * Double(sizes[0]), "\(sizes)")
        r = try CLI.run(["generate", "--checkpoint", dir.path("h.safetensors"), "--seeds", "5", "--truncation", "0.5",
                         "--outdir", dir.path("h"), "--save-raw", dir.path("h.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        let difference = try maxAbsDifference(NumPy.readArray(dir.path("a.npy")), NumPy.readArray(dir.path("h.npy")))
        #expect(difference > 0 && difference < 0.05, "float16 weights moved the image by \(difference)")
    }

    /// A configuration unlike the fixture's (size 32, style_dim 48, 3 mapping layers, uneven channels) through
    /// the same commands: nothing may depend on the tiny one.
    @Test func anotherConfigurationThroughTheCLI() throws {
        let dir = try Scratch()
        let config = try GeneratorConfig(size: 32, styleDim: 48, nMLP: 3, channels: [40, 36, 28, 20])
        let g = try StyleGAN2Generator(config, generator: Generator(seed: 11))
        let avg = try Tensor.randn([48], generator: Generator(seed: 12))
        let loaded = LoadedGenerator(generator: g, latentAvg: avg, latentAvgComputed: false, layout: "test",
                                     otherContents: [])
        try GeneratorCheckpoint.save(loaded, to: dir.path("g.safetensors"))
        var r = try CLI.run(["info", "--checkpoint", dir.path("g.safetensors")])
        for line in ["resolution    32x32", "style_dim     48", "n_mlp         3", "n_latent      8",
                     "channels      4:40 8:36 16:28 32:20", "parameters    \(g.parameterCount)"] {
            #expect(r.stdout.contains(line), "info prints \(line)")
        }
        r = try CLI.run(["generate", "--checkpoint", dir.path("g.safetensors"), "--seeds", "1,2", "--truncation", "0.8",
                         "--outdir", dir.path("o"), "--save-raw", dir.path("raw.npy")])
        #expect(r.status == 0, "\(r.stderr)")
        let expected = try loaded.render(g.z(seeds: [1, 2]), space: .z, truncation: 0.8, batch: 1)
        try expectClose(try NumPy.readArray(dir.path("raw.npy")), expected.images, tol: 1e-5, "32px generator via CLI")
    }

    @Test func badInputsAreClearErrors() throws {
        let dir = try Scratch()
        func expectFailure(_ args: [String], mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try CLI.run(args)
            #expect(r.status != 0, "exit status for \(args)", sourceLocation: sourceLocation)
            for m in mentions {
                #expect(r.stderr.contains(m), "stderr mentions \(m): \(r.stderr)", sourceLocation: sourceLocation)
            }
        }
        try expectFailure(["generate", "--checkpoint", dir.path("missing.pt"), "--seeds", "0", "--outdir", dir.path("o")],
                          mentions: ["missing.pt", "no such file"])
        try expectFailure(["generate", "--checkpoint", tiny, "--outdir", dir.path("o")], mentions: ["--seeds or --latent"])
        try expectFailure(["generate", "--checkpoint", tiny, "--seeds", "3-1"], mentions: ["seeds"])
        try expectFailure(["generate", "--checkpoint", tiny, "--seeds", "0", "--save-raw", "x.png"], mentions: [".npy"])
        try NumPy.writeArray(try Tensor.zeros([2, 7]), to: dir.path("bad.npy"))
        try expectFailure(["generate", "--checkpoint", tiny, "--latent", dir.path("bad.npy"), "--outdir", dir.path("o")],
                          mentions: ["bad.npy", "[N, 128]"])
        try NumPy.writeArray(try Tensor.full([1, 128], .nan), to: dir.path("nan.npy"))
        try expectFailure(["generate", "--checkpoint", tiny, "--latent", dir.path("nan.npy"), "--outdir", dir.path("o")],
                          mentions: ["nan.npy", "NaN"])
        try NumPy.writeArray(try Tensor.zeros([1, 10, 128]), to: dir.path("wp.npy"))
        try expectFailure(["generate", "--checkpoint", tiny, "--latent", dir.path("wp.npy"), "--latent-space", "z",
                           "--outdir", dir.path("o")], mentions: ["wp.npy", "W+"])
        // A truncated checkpoint.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: tiny))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: dir.path("half.pt")))
        try expectFailure(["info", "--checkpoint", dir.path("half.pt")], mentions: ["half.pt"])
        try expectFailure(["convert", tiny, dir.path("out.bin")], mentions: [".safetensors"])
        #expect(!FileManager.default.fileExists(atPath: dir.path("o")), "nothing written on failure")
    }
}

@Suite("CLI: render")
struct RenderCLITests {
    @Test func rendersAnInversionAndRefusesAnotherGenerator() throws {
        try Runtime.start()
        let dir = try Scratch()
        let tiny = try Fixtures.path("stylegan2-tiny64/generator.pt")
        let cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
        let file = InversionFile(wPlus: try #require(cases["w_plus"]).select(0, 1),
                                 metadata: .init(method: "test", generatorSHA256: try SHA256.hex(ofFile: tiny),
                                                 imageSize: 64, seconds: 0))
        try file.write(to: dir.path("x.safetensors"))
        var r = try CLI.run(["render", dir.path("x.safetensors"), "--checkpoint", tiny])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir.path("x.png")))
        r = try CLI.run(["convert", tiny, dir.path("g.safetensors")])
        r = try CLI.run(["render", dir.path("x.safetensors"), "--checkpoint", dir.path("g.safetensors"), "--out", dir.path("y.png")])
        #expect(r.status != 0)
        #expect(r.stderr.contains("x.safetensors") && r.stderr.contains("another generator"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("y.png")))
    }
}
