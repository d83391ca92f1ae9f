import Foundation
import Images
@testable import Perception
import TestSupport
import Testing
import Torch

/// dlib's detectors and 68-point predictor through the shim, and the FFHQ crop against the official script
/// (`align_all_parallel.py`, run on the same landmarks; its output PNGs are in Resources/dlib, see the README there).
@Suite("dlib alignment", .serialized)
struct DlibAlignmentTests {
    /// A file of Resources/dlib, or the astronaut photo, which the demo ships in the command's resources.
    static func resource(_ name: String) -> String {
        let folder = name == "astronaut.png" ? "Sources/stylegan/Resources" : "Tests/PerceptionTests/Resources/dlib"
        return Fixtures.packageRoot.appendingPathComponent("\(folder)/\(name)").path
    }

    let models = DlibModels.locate()

    init() throws { try Runtime.start() }

    /// Largest absolute difference in levels between two 8-bit images of one size.
    func maxDifference(_ a: Image, _ b: Image) -> Int {
        #expect(a.width == b.width && a.height == b.height && a.channels == b.channels)
        return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    /// The shim's detections and landmarks equal those of dlib's own Python binding (`dlib-python.json`:
    /// `detector.run(image, 1, 0)`, `predictor(image, rect)` and `cnn_face_detection_model_v1(path)(image, 1)`, as the
    /// official `get_landmark` calls them): the same rectangles in the same order, the same 68 points, the same scores.
    @Test func detectionsAndLandmarksEqualDlibsPythonBinding() throws {
        struct Reference: Decodable {
            struct Detection: Decodable { let box: [Int]; let confidence: Double; let landmarks: [[Int]]? }
            struct Photo: Decodable { let hog: [Detection]; let mmod: [Detection] }
            let photos: [String: Photo]
        }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Self.resource("dlib-python.json"))))
        let hog = try DlibFaceDetector(.hog)
        let cnn = try DlibFaceDetector(.mmod(path: models.require(models.mmodDetector)))
        let predictor = try DlibShapePredictor(path: models.require(models.landmarks68))
        #expect(reference.photos.count == 2)
        for (name, expected) in reference.photos {
            let photo = try Image.read(path: Self.resource(name))
            for (found, wanted) in [(try hog.detect(photo), expected.hog), (try cnn.detect(photo), expected.mmod)] {
                #expect(found.map { [$0.box.x1, $0.box.y1, $0.box.x2, $0.box.y2].map { Int($0) } } == wanted.map(\.box), "\(name)")
                for (f, w) in zip(found, wanted) {
                    #expect(abs(f.confidence - w.confidence) < 1e-4, "\(name): \(f.confidence) vs \(w.confidence)")
                    guard let landmarks = w.landmarks else { continue }
                    let ours = try predictor.landmarks(photo, box: f.box).map { [Int($0.x), Int($0.y)] }
                    #expect(ours == landmarks, "\(name)")
                }
            }
        }
    }

    /// The pSp script's 256-pixel crops (warped straight to 256) and the FFHQ dataset's 1024-pixel one (warped at
    /// 4096, then PIL's Lanczos down), to the level, for every face dlib finds.
    @Test func cropsEqualTheOfficialScripts() throws {
        let aligner = try FaceAligner(dlibModels: models)
        let astronaut = try Image.read(path: Self.resource("astronaut.png"))
        let faces = try aligner.faces(in: astronaut, name: "astronaut.png")
        #expect(faces.count == 2 && faces.allSatisfy { $0.allLandmarks.count == 68 })
        for (index, reference) in ["astronaut-official.png", "astronaut_1-official.png"].enumerated() {
            let result = try aligner.align(astronaut, name: "astronaut.png", outputSize: 256, faceIndex: index, supersampling: 1)
            #expect(maxDifference(result.image, try Image.read(path: Self.resource(reference))) == 0, "\(reference)")
        }
        let hopper = try Image.read(path: Self.resource("grace_hopper.jpg"))
        let crop = try aligner.align(hopper, name: "grace_hopper.jpg", outputSize: 256, supersampling: 1)
        #expect(crop.faces.count == 1)
        #expect(maxDifference(crop.image, try Image.read(path: Self.resource("grace_hopper-official.png"))) == 0)
        let large = try aligner.align(hopper, name: "grace_hopper.jpg", outputSize: 1024, supersampling: 4)
        #expect(maxDifference(large.image, try Image.read(path: Self.resource("grace_hopper-official-1024.png"))) == 0)
    }

    /// A photo whose face spans more than twice the output: the script first shrinks it by floor(qsize / 512) with
    /// PIL's Lanczos. The photo is the portrait repeated 4x4 per pixel, which the reference built the same way.
    @Test func shrinkStepEqualsTheScripts() throws {
        let hopper = try Image.read(path: Self.resource("grace_hopper.jpg"))
        var pixels = [UInt16](repeating: 0, count: hopper.pixels.count * 16)
        let (w, h) = (hopper.width * 4, hopper.height * 4)
        for y in 0..<h {
            for x in 0..<w {
                for c in 0..<3 { pixels[(y * w + x) * 3 + c] = hopper.pixels[((y / 4) * hopper.width + x / 4) * 3 + c] }
            }
        }
        let large = try Image(width: w, height: h, channels: 3, bitDepth: 8, pixels: pixels)
        let result = try FaceAligner(dlibModels: models).align(large, name: "x4", outputSize: 256, supersampling: 1)
        #expect(result.quad.size > 1024)
        #expect(maxDifference(result.image, try Image.read(path: Self.resource("grace_hopper_x4-official.png"))) == 0)
    }

    /// The tensor passes of PIL's Lanczos resize equal Pillow's loops, shrinking and enlarging, on random levels.
    @Test func lanczosEqualsTheReferenceLoops() throws {
        let generator = try Torch.Generator(seed: 7)
        let pixels = try (Tensor.rand([1, 3, 23, 31], generator: generator) * 256).floor().clamp(min: 0, max: 255)
        let levels = try pixels.to(dtype: .int64).array(of: Int64.self).map(Int.init)
        let image = (0..<23).map { y in (0..<31).map { x in (0..<3).map { c in levels[(c * 23 + y) * 31 + x] } } }
        for (height, width) in [(7, 9), (40, 50), (23, 12), (5, 31)] {
            let ours = try PILResample.resize(pixels, height: height, width: width).to(dtype: .int64).array(of: Int64.self)
            let reference = PILResample.referenceResize(image, height: height, width: width)
            let flat = (0..<3).flatMap { c in (0..<height).flatMap { y in (0..<width).map { x in Int64(reference[y][x][c]) } } }
            #expect(ours == flat, "\(height)x\(width)")
        }
    }

    /// Paste-back inverts the crop: the quad's map is inverted to 1e-9 (a tilted, non-square quad too), and the
    /// unedited astronaut crop pasted back leaves the photo as it was outside the quad and close where the mask is
    /// whole.
    @Test func pasteBackRoundTrip() throws {
        let skew = AlignmentQuad(topLeft: FacePoint(x: 10, y: 20), bottomLeft: FacePoint(x: 15, y: 90),
                                 bottomRight: FacePoint(x: 95, y: 100), topRight: FacePoint(x: 80, y: 12), size: 75)
        for quad in [skew, AlignmentQuad(leftEye: FacePoint(x: 40, y: 50), rightEye: FacePoint(x: 70, y: 45),
                                         mouthLeft: FacePoint(x: 45, y: 85), mouthRight: FacePoint(x: 68, y: 82))] {
            let points = [(0.1, 0.2), (0.5, 0.5), (0.93, 0.71)]
            let x = try Tensor(points.map { quad.sourcePoint(u: $0.0, v: $0.1).x }), y = try Tensor(points.map { quad.sourcePoint(u: $0.0, v: $0.1).y })
            let (u, v) = try PasteBack.inverse(quad, x: x.to(dtype: .float64), y: y.to(dtype: .float64))
            #expect(try maxAbsDifference(u, Tensor(points.map(\.0)).to(dtype: .float64)) < 1e-9)
            #expect(try maxAbsDifference(v, Tensor(points.map(\.1)).to(dtype: .float64)) < 1e-9)
        }

        let astronaut = try Image.read(path: Self.resource("astronaut.png"))
        let crop = try FaceAligner(dlibModels: models).align(astronaut, name: "astronaut.png", outputSize: 256, supersampling: 1)
        let photo = try astronaut.tensor()
        let pasted = try PasteBack.paste(crop.image.tensor(), into: photo, quad: crop.quad)
        let levels = try ((pasted - photo).abs() * 127.5)  // [1, 3, H, W]
        let xs = crop.quad.corners.map(\.x), ys = crop.quad.corners.map(\.y)
        // Outside the quad's bounding box: untouched.
        let left = Int(xs.min()!.rounded(.down)), top = Int(ys.min()!.rounded(.down))
        #expect(try levels.narrow(3, start: 0, length: left).max().item() == 0)
        #expect(try levels.narrow(2, start: 0, length: top).max().item() == 0)
        // The middle of the crop, where the mask is 1: the photo again, to two bilinear resamplings (2.3 levels on
        // average at 256 pixels, 1.3 at 512), and a paste half a pixel off is twice as far.
        let centre = crop.quad.sourcePoint(u: 0.5, v: 0.5)
        func innerError(_ quad: AlignmentQuad) throws -> Double {
            let pasted = try PasteBack.paste(crop.image.tensor(), into: photo, quad: quad)
            return try ((pasted - photo).abs() * 127.5).narrow(2, start: Int(centre.y) - 40, length: 80)
                .narrow(3, start: Int(centre.x) - 40, length: 80).mean().item()
        }
        let error = try innerError(crop.quad)
        var shifted = crop.quad
        for k in [\AlignmentQuad.topLeft, \.topRight, \.bottomLeft, \.bottomRight] { shifted[keyPath: k].x += 0.5 }
        let shiftedError = try innerError(shifted)
        #expect(error < 3 && shiftedError > 1.8 * error, "\(error) levels; half a pixel off: \(shiftedError)")
        #expect(throws: TorchError.self) { try PasteBack.paste(Tensor.zeros([1, 3, 10, 12]), into: photo, quad: crop.quad) }
    }

    /// dlib's CNN detector finds the astronaut's face where the HOG detector does.
    @Test func cnnDetectorFindsTheFace() throws {
        let astronaut = try Image.read(path: Self.resource("astronaut.png"))
        let cnn = try DlibFaceDetector(.mmod(path: models.require(models.mmodDetector)))
        let hog = try DlibFaceDetector(.hog).detect(astronaut)
        let found = try cnn.detect(astronaut)
        let face = try #require(hog.first?.box)
        #expect(found.contains { abs($0.box.x1 - face.x1) < 20 && abs($0.box.y1 - face.y1) < 20 }, "\(found) vs \(face)")
    }

    /// Faceless, tiny, grey and huge images find no face; bad model files are named; the 5-point predictor is
    /// refused for the FFHQ crop.
    @Test func badInputIsNamed() throws {
        let aligner = try FaceAligner(dlibModels: models)
        for (width, height, channels) in [(1, 1, 3), (64, 48, 3), (300, 200, 1)] {
            let flat = try Image(width: width, height: height, channels: channels, bitDepth: 8,
                                 pixels: .init(repeating: 90, count: width * height * channels))
            #expect(throws: FaceAlignmentError(.noFace, path: "flat.png")) {
                try aligner.align(flat, name: "flat.png", outputSize: 64)
            }
        }
        // Large photos stay within the detector's pixel budget: less upsampling, then a shrunk copy; small ones
        // are detected as the script does. A 26-megapixel photo is detected (and found faceless) within it.
        #expect(FaceAligner.detectionPlan(width: 512, height: 600, upsample: 1) == (1, 1))
        #expect(FaceAligner.detectionPlan(width: 4000, height: 3000, upsample: 1) == (0, 1))
        #expect(FaceAligner.detectionPlan(width: 6000, height: 5000, upsample: 1) == (0, 2))
        let huge = try Image(width: 5200, height: 5000, channels: 1, bitDepth: 8, pixels: .init(repeating: 90, count: 26_000_000))
        #expect(throws: FaceAlignmentError(.noFace, path: "huge.png")) { try aligner.align(huge, name: "huge.png", outputSize: 64) }
        let dir = try Scratch()
        try Data("not a model".utf8).write(to: URL(fileURLWithPath: dir.path("text.dat")))
        let model = try Data(contentsOf: URL(fileURLWithPath: models.landmarks5))
        try model.prefix(model.count / 2).write(to: URL(fileURLWithPath: dir.path("truncated.dat")))
        for name in ["text.dat", "truncated.dat"] {
            let error = #expect(throws: DlibError.self) { try DlibShapePredictor(path: dir.path(name)) }
            #expect(error?.description.hasPrefix(dir.path(name) + ": not a dlib model") == true, "\(String(describing: error))")
        }
        let error = #expect(throws: DlibError.self) { try DlibFaceDetector(.mmod(path: dir.path("text.dat"))) }
        #expect(error?.description.hasPrefix(dir.path("text.dat")) == true)
        #expect(throws: DlibError.self) { try DlibShapePredictor(path: dir.path("missing.dat")) }
        let five = try DlibShapePredictor(path: models.landmarks5)
        #expect(five.parts == 5)
        #expect(throws: DlibError.self) { try FaceAligner(dlib: DlibFaceDetector(.hog), landmarks: five) }
        #expect(throws: DlibError.self) { try DlibModels(folder: dir.path("none")).require(dir.path("none/x.dat")) }
    }
}
