import Checkpoints
import Editing
import Foundation
import Images
import StyleGAN
import TestSupport
import Testing
import Torch

/// `stylegan directions` and `stylegan edit` end to end on the tiny generator.
///
/// Edited images are checked against `stylegan render` of the inversion the library makes for the same edit:
/// both encode the same pixels, so the PNG files must be byte for byte the same.
@Suite("CLI: directions and edit")
struct EditingCLITests {
    let tiny: String
    let loaded: LoadedGenerator
    let sha: String
    let cases: [String: Tensor]

    init() throws {
        try Runtime.start()
        tiny = try Fixtures.path("stylegan2-tiny64/generator.pt")
        loaded = try GeneratorCheckpoint.load(tiny)
        sha = try SHA256.hex(ofFile: tiny)
        cases = try Fixtures.cases("stylegan2-tiny64/cases.safetensors")
    }

    /// An inversion of fixture code `index`, with a layer-3 feature and tuned weights when asked, written to `path`.
    @discardableResult
    func writeInversion(_ index: Int, feature: Bool = false, tuned: Bool = false, sha: String? = nil, to path: String) throws
        -> InversionFile
    {
        let f = feature ? (3, try Tensor.randn([64, 8, 8], generator: Generator(seed: 6)) * 0.5, 1.0) : nil
        let deltas: (InversionFile.DeltaKind, [String: Tensor])? = tuned
            ? (.additive, ["convs.4.conv.weight": try Tensor.randn([1, 64, 64, 3, 3], generator: Generator(seed: 7)) * 0.1])
            : nil
        let file = InversionFile(wPlus: try #require(cases["w_plus"]).select(0, index), feature: f, deltas: deltas,
                                 metadata: .init(method: "test", generatorSHA256: sha ?? self.sha, imageSize: 64, seconds: 0))
        try file.write(to: path)
        return file
    }

    /// `stylegan render` of `file`: the PNG an edit must have written for it.
    func renderedPNG(_ file: InversionFile, in dir: Scratch, name: String) throws -> Data {
        try file.write(to: dir.path("\(name).safetensors"))
        let r = try CLI.run(["render", dir.path("\(name).safetensors"), "--checkpoint", tiny, "--out", dir.path("\(name).png")])
        #expect(r.status == 0, "\(r.stderr)")
        return try Data(contentsOf: dir.url.appendingPathComponent("\(name).png"))
    }

    func png(_ dir: Scratch, _ path: String) throws -> Data { try Data(contentsOf: dir.url.appendingPathComponent(path)) }

    /// `directions testbed` on the tiny generator with the shipped attribute classifier: a unit direction and a sidecar
    /// per attribute, the conditional fit recording the 21 attributes it holds fixed and its measured figures; a
    /// two-class fit records none; too few samples for the regression are refused with nothing written.
    @Test func testbedDirectionsRecordTheirFitAndFigures() throws {
        let dir = try Scratch()
        let classifier = Fixtures.packageRoot.appendingPathComponent("Models/testbed/attributes.safetensors").path
        let common = ["directions", "testbed", "--checkpoint", tiny, "--classifier", classifier, "--probes", "4", "--threads", "1"]
        var r = try CLI.run(common + ["--samples", "64", "--attributes", "smile,yaw", "--out", dir.path("d")])
        #expect(r.status == 0, "\(r.stderr)")
        for name in ["smile", "yaw"] {
            let (direction, sidecar) = try DirectionFile.read(dir.path("d/interfacegan_\(name).npy"))
            #expect(abs(try direction.vector.norm().item() - 1) < 1e-5)
            let s = try #require(sidecar)
            #expect(s.conditions?.count == 21 && s.conditions?.contains(name) == false)
            #expect(s.validationAccuracy.map { (0...1).contains($0) } == true && s.samples == 64)
            #expect(s.attributeChange?.isFinite == true && s.otherAttributesChange?.isFinite == true && (s.std ?? 0) > 0)
        }
        r = try CLI.run(common + ["--samples", "64", "--attributes", "smile", "--fit", "mean-difference", "--out", dir.path("m")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try DirectionFile.read(dir.path("m/interfacegan_smile.npy")).1?.conditions == nil)
        r = try CLI.run(common + ["--samples", "16", "--attributes", "smile", "--out", dir.path("few")])
        #expect(r.status != 0 && r.stderr.contains("too few for a conditional fit"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("few")))
    }

    @Test func directionsWriteUnitVectorsWithSidecars() throws {
        let dir = try Scratch()
        var r = try CLI.run(["directions", "sefa", "--checkpoint", tiny, "--layers", "0-5", "--components", "3", "--out", dir.path("d")])
        #expect(r.status == 0, "\(r.stderr)")
        let sefa = try SeFa.factorize(loaded.generator, rows: Array(0...5))
        for k in 0..<3 {
            let (direction, sidecar) = try DirectionFile.read(dir.path(String(format: "d/sefa_%03d.npy", k)))
            #expect(try NumPy.readArray(dir.path(String(format: "d/sefa_%03d.npy", k))).shape == [1, 128])
            #expect(abs(try direction.vector.norm().item() - 1) < 1e-6)
            try expectClose(direction.vector, sefa.directions.select(0, k), tol: 1e-6, "sefa \(k)")
            #expect(sidecar?.method == "sefa" && sidecar?.layers == Array(0...5) && sidecar?.generatorSHA256 == sha)
            let eigenvalue = try #require(sidecar?.eigenvalue)
            #expect(abs(eigenvalue - (try sefa.eigenvalues[k].item())) < 1e-9)
        }
        r = try CLI.run(["directions", "ganspace", "--checkpoint", tiny, "--samples", "20000", "--components", "2", "--seed", "3",
                         "--out", dir.path("d")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.isEmpty, "no progress bar when stderr is not a terminal")
        let pca = try GANSpace.components(of: loaded.generator, samples: 20000, count: 2, seed: 3)
        for k in 0..<2 {
            let (direction, sidecar) = try DirectionFile.read(dir.path(String(format: "d/ganspace_%03d.npy", k)))
            try expectClose(direction.vector, pca.directions.select(0, k), tol: 1e-6, "ganspace \(k)")
            #expect(abs(direction.unit - pca.std[k]) < 1e-9 && sidecar?.samples == 20000)
            #expect(sidecar?.explainedVarianceRatio != nil)
        }
        #expect(try GANSpace.load(dir.path("d/ganspace.npz")).count == 2)
        // A boundary from codes labelled by a planted direction, with a header row.
        let w = try loaded.generator.mapping(Tensor.randn([300, 128], generator: Generator(seed: 2)))
        try NumPy.writeArray(w, to: dir.path("w.npy"))
        let planted = try Tensor.randn([128, 1], generator: Generator(seed: 3))
        let side = try w.matmul(planted).reshape([-1]).doubles()
        let median = side.sorted()[150]
        let csv = "label\n" + side.map { $0 >= median ? "1" : "0" }.joined(separator: "\n") + "\n"
        try csv.write(toFile: dir.path("labels.csv"), atomically: true, encoding: .utf8)
        r = try CLI.run(["directions", "interfacegan", "--checkpoint", tiny, "--latents", dir.path("w.npy"),
                         "--labels", dir.path("labels.csv"), "--name", "planted", "--out", dir.path("d")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("validation accuracy"))
        let (boundary, sidecar) = try DirectionFile.read(dir.path("d/planted.npy"))
        let trained = try InterFaceGAN.train(latents: w, labels: .binary(side.map { $0 >= median }))
        try expectClose(boundary.vector, trained.normal.reshape([-1]), tol: 1e-6, "boundary as the library trains it")
        #expect(sidecar?.method == "interfacegan" && sidecar?.trainingAccuracy == trained.trainingAccuracy)
        let cosine = try (boundary.vector.to(dtype: .float64) * planted.reshape([-1]).to(dtype: .float64)).sum().item()
            / (try planted.to(dtype: .float64).norm().item())
        // It reaches cos 0.63 (300 codes in 128 dimensions).
        #expect(cosine > 0.5, "the boundary points along the planted direction: cos \(cosine)")
    }

    @Test func editWritesOneImagePerStrengthAndASweep() throws {
        let dir = try Scratch()
        let x = try writeInversion(0, feature: true, tuned: true, to: dir.path("x.safetensors"))
        try writeInversion(1, to: dir.path("y.safetensors"))
        let r = try CLI.run(["edit", dir.path("x.safetensors"), dir.path("y.safetensors"), "--checkpoint", tiny,
                             "--direction", "sefa:1", "--strength", "-2:2:5", "--layers", "0-3", "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("strengths -2, -1, 0, 1, 2"))
        let expected = (0..<5).flatMap { ["x_sefa1_0\($0).png", "y_sefa1_0\($0).png"] } + ["sefa1_sweep.png"]
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("out")).sorted() == expected.sorted())
        // Strength 0 is the inversion itself; strength 2 is the library's edit, through the tuned weights and with
        // the feature moved by the F-space rule.
        #expect(try png(dir, "out/x_sefa1_02.png") == renderedPNG(x, in: dir, name: "x0"))
        let editor = try InversionEditor(loaded, inversion: x, generatorSHA256: sha)
        let sefa = try SeFa.factorize(loaded.generator, rows: Array(0...3))
        let d = try LatentDirection(vector: sefa.directions.select(0, 1), label: "sefa1")
        let edited = try editor.edited(DirectionEdit.apply(editor.wPlus, along: d, strength: 2,
                                                           rows: RowWeights(rows: Array(0...3), count: 10)))
        #expect(try png(dir, "out/x_sefa1_04.png") == renderedPNG(edited, in: dir, name: "x2"))
        #expect(try png(dir, "out/x_sefa1_04.png") != png(dir, "out/x_sefa1_02.png"))
        // The sweep: 2 rows of 5 images, 2 px apart.
        let sweep = try png(dir, "out/sefa1_sweep.png")
        let width = sweep[16..<20].reduce(0) { $0 << 8 | Int($1) }
        let height = sweep[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 5 * 66 + 2 && height == 2 * 66 + 2)
    }

    /// --paste-back: each edit also warped into the photo its alignment record names, with the photo's size and
    /// untouched outside the crop; a record per inversion, and a bad record is named before anything is written.
    @Test func editPastesBackIntoThePhoto() throws {
        let dir = try Scratch()
        try writeInversion(0, to: dir.path("x.safetensors"))
        let (width, height) = (120, 100)
        let levels = (0..<(width * height * 3)).map { UInt16(($0 * 7) % 251) }
        try Image(width: width, height: height, channels: 3, bitDepth: 8, pixels: levels).write(to: dir.path("photo.png"))
        let record = """
            {"source": "photo.png", "source_width": 120, "source_height": 100, "face_index": 0, "faces_found": 1,
             "box": [30, 20, 90, 80], "score": 1, "landmarks": {"left_eye": [45, 40], "right_eye": [75, 40], "nose": [60, 55],
             "mouth_left": [48, 70], "mouth_right": [72, 70]}, "quad": [[30, 20], [30, 80], [90, 80], [90, 20]],
             "quad_size": 60, "output_size": 64}
            """
        try Data(record.utf8).write(to: dir.url.appendingPathComponent("x.json"))
        var r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--direction", "sefa:1",
                             "--strength", "0,2", "--paste-back", dir.path("x.json"), "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path("out")).sorted()
            == ["sefa1_sweep.png", "x_sefa1_00.png", "x_sefa1_00_pasted.png", "x_sefa1_01.png", "x_sefa1_01_pasted.png"])
        let pasted = try Image.read(path: dir.path("out/x_sefa1_01_pasted.png"))
        #expect(pasted.width == width && pasted.height == height)
        var outsideEqual = true
        for y in 0..<height {
            for x in 0..<width where x < 29 || x > 91 || y < 19 || y > 81 {
                for c in 0..<3 where pasted.pixels[(y * width + x) * 3 + c] != levels[(y * width + x) * 3 + c] { outsideEqual = false }
            }
        }
        #expect(outsideEqual)
        #expect(pasted.pixels[(50 * width + 60) * 3] != levels[(50 * width + 60) * 3])

        try Data("{}".utf8).write(to: dir.url.appendingPathComponent("bad.json"))
        r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--direction", "sefa:1",
                         "--paste-back", dir.path("bad.json"), "--outdir", dir.path("bad")])
        #expect(r.status != 0 && r.stderr.contains(dir.path("bad.json") + ": not an alignment record"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("bad")))
        r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--direction", "sefa:1",
                         "--paste-back", dir.path("x.json"), "--paste-back", dir.path("x.json"), "--outdir", dir.path("two")])
        #expect(r.status != 0 && r.stderr.contains("one alignment record per inversion"), "\(r.stderr)")
    }

    @Test func editWithAGANSpaceFileUsesItsSigma() throws {
        let dir = try Scratch()
        let x = try writeInversion(2, to: dir.path("x.safetensors"))
        var r = try CLI.run(["directions", "ganspace", "--checkpoint", tiny, "--samples", "5000", "--components", "2",
                             "--out", dir.path("d")])
        #expect(r.status == 0, "\(r.stderr)")
        r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--direction", dir.path("d/ganspace_001.npy"),
                         "--strength", "1.5", "--layers", "6-8", "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        let pca = try GANSpace.components(of: loaded.generator, samples: 5000, count: 2, seed: 0)
        let editor = try InversionEditor(loaded, inversion: x, generatorSHA256: sha)
        let w = try DirectionEdit.apply(editor.wPlus, along: pca.direction(1), strength: 1.5,
                                        rows: RowWeights(rows: [6, 7, 8], count: 10))
        #expect(try png(dir, "out/x_ganspace_001_00.png") == renderedPNG(editor.edited(w), in: dir, name: "e"))
        // The same component from the cache file.
        r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--direction", dir.path("d/ganspace.npz") + ":1",
                         "--strength", "1.5", "--layers", "6-8", "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try png(dir, "out/x_ganspace1_00.png") == png(dir, "out/x_ganspace_001_00.png"))
    }

    @Test func mixingAndInterpolation() throws {
        let dir = try Scratch()
        let x = try writeInversion(0, feature: true, to: dir.path("x.safetensors"))
        let y = try writeInversion(1, to: dir.path("y.safetensors"))
        var r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--mix", dir.path("y.safetensors"),
                             "--layers", "4-9", "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        let editor = try InversionEditor(loaded, inversion: x, generatorSHA256: sha)
        let mixed = try editor.edited(StyleMixing.apply(editor.wPlus, from: y.wPlus, strength: 1,
                                                        rows: RowWeights(rows: Array(4...9), count: 10)))
        #expect(try png(dir, "out/x_mix_y_00.png") == renderedPNG(mixed, in: dir, name: "m"))
        r = try CLI.run(["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--interpolate", dir.path("y.safetensors"),
                         "--frames", "3", "--outdir", dir.path("out")])
        #expect(r.status == 0, "\(r.stderr)")
        let frames = try InversionInterpolation.frames(from: editor, to: y, count: 3)
        #expect(try png(dir, "out/x_interp_y_00.png") == renderedPNG(x, in: dir, name: "i0"))
        #expect(try png(dir, "out/x_interp_y_01.png") == renderedPNG(frames[1], in: dir, name: "i1"))
        #expect(FileManager.default.fileExists(atPath: dir.path("out/interp_y_sweep.png")))
    }

    @Test func badInputsAreClearErrorsAndWriteNothing() throws {
        let dir = try Scratch()
        try writeInversion(0, to: dir.path("x.safetensors"))
        try writeInversion(1, sha: String(repeating: "0", count: 64), to: dir.path("alien.safetensors"))
        try NumPy.writeArray(try Tensor.ones([2, 128]), to: dir.path("two.npy"))
        try NumPy.writeArray(try Tensor.ones([1, 64]), to: dir.path("narrow.npy"))
        try NumPy.writeArray(try Tensor.ones([1, 128]), to: dir.path("good.npy"))
        func expectFailure(_ args: [String], mentions: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try CLI.run(args)
            #expect(r.status != 0, "exit status for \(args)", sourceLocation: sourceLocation)
            for m in mentions {
                #expect(r.stderr.contains(m), "stderr mentions \(m): \(r.stderr)", sourceLocation: sourceLocation)
            }
        }
        let edit = ["edit", dir.path("x.safetensors"), "--checkpoint", tiny, "--outdir", dir.path("out")]
        try expectFailure(edit + ["--direction", dir.path("two.npy")], mentions: ["two.npy", "[D] or [1, D]"])
        try expectFailure(edit + ["--direction", dir.path("narrow.npy")], mentions: ["narrow.npy", "128"])
        try expectFailure(edit + ["--direction", dir.path("missing.npy")], mentions: ["missing.npy"])
        try expectFailure(edit + ["--direction", dir.path("good.npy"), "--layers", "0-12"], mentions: ["--layers", "0...9"])
        try expectFailure(edit + ["--direction", "sefa:0", "--layers", "10"], mentions: ["--layers", "0...9"])
        try expectFailure(edit + ["--direction", dir.path("good.npy"), "--strength", "nan:1:3"], mentions: ["--strength"])
        try expectFailure(edit + ["--direction", dir.path("good.npy"), "--strength", "0,nan"], mentions: ["--strength"])
        try expectFailure(edit + ["--direction", dir.path("good.npy"), "--layer-weights", "1,2"], mentions: ["--layer-weights", "10"])
        try expectFailure(edit + ["--direction", "sefa:128"], mentions: ["sefa:128", "0...127"])
        try expectFailure(edit + ["--direction", "spin:3"], mentions: ["--direction"])
        try expectFailure(edit + ["--direction", dir.path("good.npy"), "--condition", dir.path("good.npy")], mentions: ["--condition", "span"])
        try expectFailure(edit + ["--mix", dir.path("x.safetensors")], mentions: ["--mix needs --layers"])
        try expectFailure(edit + ["--mix", dir.path("alien.safetensors"), "--layers", "3"], mentions: ["alien.safetensors", "another generator"])
        try expectFailure(["edit", dir.path("alien.safetensors"), "--checkpoint", tiny, "--direction", "sefa:0", "--outdir", dir.path("out")],
                          mentions: ["alien.safetensors", "another generator"])
        try expectFailure(edit + ["--interpolate", dir.path("x.safetensors"), "--frames", "1"], mentions: ["--frames"])
        try expectFailure(edit, mentions: ["--direction, --mix or --interpolate"])
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")), "nothing written on failure")
        // directions
        try NumPy.writeArray(try Tensor.randn([10, 128]), to: dir.path("w.npy"))
        try "1\n0\n1\n".write(toFile: dir.path("short.csv"), atomically: true, encoding: .utf8)
        try expectFailure(["directions", "interfacegan", "--checkpoint", tiny, "--latents", dir.path("w.npy"),
                           "--labels", dir.path("short.csv"), "--out", dir.path("out")], mentions: ["short.csv", "3 labels", "10 codes"])
        try expectFailure(["directions", "interfacegan", "--checkpoint", tiny, "--latents", dir.path("narrow.npy"),
                           "--labels", dir.path("short.csv"), "--out", dir.path("out")], mentions: ["narrow.npy", "[N, 128]"])
        try expectFailure(["directions", "sefa", "--checkpoint", tiny, "--layers", "3-11", "--out", dir.path("out")],
                          mentions: ["--layers", "0...9"])
        try expectFailure(["directions", "ganspace", "--checkpoint", tiny, "--components", "0", "--out", dir.path("out")],
                          mentions: ["--components"])
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")), "nothing written on failure")
    }
}
