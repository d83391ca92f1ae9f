import Foundation
import Images
import TestSupport
import Testing

/// `stylegan align` end to end on the built binary, which sits beside the test bundle in the build folder.
@Suite("CLI: align")
struct AlignmentCLITests {
    /// A fresh folder holding the drawn face as face.png and a faceless gray.png.
    private func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("align-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try SyntheticFace.image(size: 160).write(to: folder.appendingPathComponent("face.png").path)
        try Image(width: 64, height: 64, channels: 3, bitDepth: 8, pixels: .init(repeating: 120, count: 12288))
            .write(to: folder.appendingPathComponent("gray.png").path)
        return folder
    }

    private func files(_ folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    @Test func writesTheCropAndItsLandmarks() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CLI.run(["align", "face.png", "--outdir", "out", "--size", "64", "--threads", "1", "--detector", "mtcnn"],
                            in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("aligned 1 of 1 images into out"))
        let out = folder.appendingPathComponent("out")
        #expect(try files(out) == ["face.json", "face.png"])
        let crop = try Image.read(path: out.appendingPathComponent("face.png").path)
        #expect(crop.width == 64 && crop.height == 64 && crop.channels == 3)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("face.json")))
        let record = try #require(json as? [String: Any])
        #expect(record["source"] as? String == "face.png" && record["faces_found"] as? Int == 1)
        #expect(record["output_size"] as? Int == 64 && (record["box"] as? [Double])?.count == 4)
    }

    @Test func badPhotosAreNamedAndSkipped() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("notes.png"))
        let r = try CLI.run(["align", "gray.png", "notes.png", "missing.jpg", "face.png", "--outdir", "out",
                              "--size", "32", "--threads", "1", "--detector", "mtcnn"], in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.contains("gray.png: no face found"))
        #expect(r.stderr.contains("notes.png: "))
        #expect(r.stderr.contains("missing.jpg: "))
        #expect(r.stdout.contains("aligned 1 of 4 images"))
        #expect(try files(folder.appendingPathComponent("out")) == ["face.json", "face.png"])
    }

    @Test func faceIndexOutOfRange() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try CLI.run(["align", "face.png", "--outdir", "out", "--face", "1", "--size", "32", "--detector", "mtcnn"],
                            in: folder)
        #expect(r.status != 0)
        #expect(r.stderr.contains("face.png: face 1 asked for but 1 found"))
        #expect(try files(folder.appendingPathComponent("out")).isEmpty)
    }

    /// dlib by default, as the official script: both of the astronaut photo's detections (her face, and her mission
    /// patch, which dlib's HOG detector also scores above 0), largest first, each beside its record with the 68
    /// landmarks; --max-faces 1 keeps the largest.
    @Test func dlibIsTheDefaultAndWritesEveryFace() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: DlibAlignmentTests.resource("astronaut.png"),
                                         toPath: folder.appendingPathComponent("astronaut.png").path)
        var r = try CLI.run(["align", "astronaut.png", "--outdir", "out", "--threads", "1"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("astronaut.png: 2 faces found, 2 aligned"), "\(r.stdout)")
        let out = folder.appendingPathComponent("out")
        #expect(try files(out) == ["astronaut.json", "astronaut.png", "astronaut_1.json", "astronaut_1.png"])
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("astronaut.json")))
        let record = try #require(json as? [String: Any])
        #expect((record["landmarks_68"] as? [[Double]])?.count == 68 && record["faces_found"] as? Int == 2)
        #expect(try Image.read(path: out.appendingPathComponent("astronaut.png").path).pixels
            == Image.read(path: DlibAlignmentTests.resource("astronaut-official.png")).pixels)

        r = try CLI.run(["align", "astronaut.png", "--outdir", "one", "--max-faces", "1", "--threads", "1"], in: folder)
        #expect(r.status == 0 && r.stdout.contains("2 faces found, 1 aligned"), "\(r.stdout) \(r.stderr)")
        #expect(try files(folder.appendingPathComponent("one")) == ["astronaut.json", "astronaut.png"])
        r = try CLI.run(["align", "gray.png", "--outdir", "none", "--threads", "1"], in: folder)
        #expect(r.status != 0 && r.stderr.contains("gray.png: no face found"), "\(r.stderr)")
        #expect(try files(folder.appendingPathComponent("none")).isEmpty)
    }

    @Test func argumentsAreChecked() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (arguments, message) in [
            (["align", "--outdir", "out"], "Missing expected argument '<images> ...'"),
            (["align", "face.png", "--outdir", "out", "--size", "0"], "--size must be at least 1"),
            (["align", "face.png", "--outdir", "out", "--face=-1"], "--face must be 0 or more"),
            (["align", "face.png", "other/face.jpg", "--outdir", "out"], "would both write face.png"),
            (["align", "face.png", "--outdir", "out", "--detector", "mtcnn", "--cnn"], "--cnn and --dlib-models are for"),
            (["align", "face.png", "--outdir", "out", "--max-faces", "0"], "--max-faces must be at least 1"),
            (["align", "face.png", "--outdir", "out", "--upsample", "5"], "--upsample must be"),
        ] {
            let r = try CLI.run(arguments, in: folder)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out").path))
    }
}
