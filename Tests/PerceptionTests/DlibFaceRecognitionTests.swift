import Foundation
import Images
@testable import Perception
import TestSupport
import Testing
import Torch

/// dlib's face-recognition ResNet rebuilt in Torch, held to dlib itself: to the descriptors its Python binding gave
/// (Resources/dlib/descriptor, dlib 20.0.1), and in-process to libdlib's own chips and network through the shim.
@Suite("dlib face recognition", .serialized)
struct DlibFaceRecognitionTests {
    struct Reference: Decodable {
        struct Face: Decodable {
            let photo: String
            let parts: [[Double]]
            let chip: String
            let descriptor: [Double]
            let descriptor_of_chip: [Double]
        }
        let faces: [Face]
    }

    let models = DlibModels.locate()
    let reference: Reference

    init() throws {
        try Runtime.start()
        reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath:
            DlibAlignmentTests.resource("descriptor/dlib-descriptors.json"))))
    }

    func network() throws -> DlibFaceRecognition { try DlibFaceRecognition.load(from: models.require(models.faceRecognition)) }

    /// An 8-bit RGB image as [1, 3, H, W] on the 0-255 scale.
    func pixels(_ image: Image) throws -> Tensor { try DlibFaceRecognition.pixels(image).to(dtype: .float32) }

    func landmarks(_ face: Reference.Face) -> [FacePoint] { face.parts.map { FacePoint(x: $0[0], y: $0[1]) } }

    func photo(_ face: Reference.Face) throws -> Image { try Image.read(path: DlibAlignmentTests.resource(face.photo)) }

    func maxDifference(_ a: [Float], _ b: [Double]) -> Double { zip(a, b).map { abs(Double($0) - $1) }.max() ?? .infinity }

    /// The reader takes the whole file (every record checked, ending at its last byte): 5,614,592 weights, dlib's
    /// channel means and its 0.6 threshold; the network's FLOP count is the one its layers imply.
    @Test func readerTakesTheWholeFile() throws {
        let network = try network()
        let count = network.parameters().reduce(0) { $0 + $1.count }
        #expect(count == DlibFaceRecognition.officialParameterCount)
        #expect(try network.means.floats() == [122.782, 117.001, 104.298])
        #expect(abs(network.distanceThreshold - 0.6) < 1e-6)
        #expect(DlibFaceRecognition.Architecture.official.levelEnds == [2, 6, 9, 12, 13])
        #expect(DlibFaceRecognition.multiplyAdds() == 271_473_856)
    }

    /// Descriptors of dlib's own chips within 1e-4 of dlib's (the measured gap is a few 1e-7), and of the photos
    /// through our chip (`descriptor(of:landmarks:)`, dlib's `compute_face_descriptor(photo, shape)`). The two people
    /// are further apart than dlib's 0.6 and the 68- and 5-point chips of one person are not.
    @Test func descriptorsEqualDlibsPythonBinding() throws {
        let network = try network()
        var descriptors: [String: Tensor] = [:]
        for face in reference.faces {
            let chip = try Image.read(path: DlibAlignmentTests.resource("descriptor/" + face.chip))
            let ofChip = try withNoGrad { try network(pixels(chip)) }
            #expect(maxDifference(try ofChip.floats(), face.descriptor_of_chip) < 1e-4, "\(face.chip)")
            let ofPhoto = try network.descriptor(of: photo(face), landmarks: landmarks(face))
            #expect(maxDifference(ofPhoto, face.descriptor) < 1e-4, "\(face.chip) from the photo")
            descriptors[face.chip] = ofChip
        }
        func distance(_ a: String, _ b: String) throws -> Double {
            try (descriptors[a]! - descriptors[b]!).square().sum().sqrt().item()
        }
        #expect(abs(try distance("astronaut-chip68.png", "grace_hopper-chip68.png") - 0.6833) < 1e-3)
        #expect(try distance("astronaut-chip68.png", "astronaut-chip5.png") < 0.6)
        #expect(try distance("grace_hopper-chip68.png", "grace_hopper-chip5.png") < 0.6)
    }

    /// Our chip equals dlib's, to the level: the Python binding's chips of both photos (sampled directly), and
    /// libdlib's own on the portrait enlarged 3x, where dlib first builds a pyramid level, for 68 and 5 points.
    @Test func chipsEqualDlibs() throws {
        for face in reference.faces {
            let chip = try DlibFaceChip(landmarks: landmarks(face)).sample(pixels(photo(face)), quantize: true)
            let expected = try pixels(Image.read(path: DlibAlignmentTests.resource("descriptor/" + face.chip)))
            let difference = try (chip.to(dtype: .float32) - expected).abs()
            let (largest, differing) = (try difference.max().item(), try difference.gt(0).sum().item())
            #expect(largest == 0, "\(face.chip): \(differing) values differ, by up to \(largest)")
        }
        let hopper = try Image.read(path: DlibAlignmentTests.resource("grace_hopper.jpg"))
        let big = try Image(tensor: F.interpolate(hopper.tensor(), scale: (3, 3), mode: .nearest))
        for face in reference.faces where face.photo == "grace_hopper.jpg" {
            let points = landmarks(face).map { FacePoint(x: 3 * $0.x + 1, y: 3 * $0.y + 1) }
            let chip = try DlibFaceChip(landmarks: points)
            #expect(DlibFaceChip.area(DlibFaceChip.rectDown((chip.left, chip.top, chip.right, chip.bottom))) > 22_500)
            let ours = try chip.sample(pixels(big), quantize: true).permute([0, 2, 3, 1]).flatten().to(dtype: .float32).floats()
            let dlibs = try DlibNativeRecognizer.chip(big, landmarks: points)
            let differ = zip(ours, dlibs).filter { Int($0) != Int($1) }
            #expect(differ.isEmpty, "\(face.chip), 3x: \(differ.count) differ, e.g. \(differ.prefix(5))")
        }
    }

    /// The Torch network equals libdlib's own on chips it never saw in the references: flipped, darkened and noisy.
    @Test func networkEqualsLibdlibs() throws {
        let network = try network()
        let native = try DlibNativeRecognizer(path: models.faceRecognition)
        let chip = try pixels(Image.read(path: DlibAlignmentTests.resource("descriptor/grace_hopper-chip68.png")))
        let noise = try Tensor.rand([1, 3, 150, 150], generator: Generator(seed: 7)) * 60
        let variants = try Tensor.cat([chip.flip([3]), (chip * 0.5).floor(), (chip + noise).clamp(min: 0, max: 255).floor()], dim: 0)
        let ours = try withNoGrad { try network(variants) }.floats()
        let bytes = try variants.permute([0, 2, 3, 1]).contiguous().floats().map { UInt8($0) }
        let dlibs = try native.descriptors(chips: bytes)
        #expect(zip(ours, dlibs).map { abs($0 - $1) }.max()! < 1e-4)
    }

    /// On an FFHQ-aligned crop the fixed chip sits where dlib's landmarks would put it, and reads the same person:
    /// the astronaut's official 256-pixel crop through `idLossInput` is within dlib's 0.6 of her photo's
    /// descriptor and beyond it from Grace Hopper's.
    @Test func alignedChipReadsTheSamePerson() throws {
        let network = try network()
        let crop = try Image.read(path: DlibAlignmentTests.resource("astronaut-official.png"))
        let fixed = try DlibFaceChip.ffhqAligned(imageSize: 256)
        let aligner = try FaceAligner(dlibModels: models)
        let found = try DlibFaceChip(landmarks: try #require(aligner.faces(in: crop, name: "crop").first).allLandmarks)
        #expect(abs(fixed.left - found.left) < 8 && abs(fixed.top - found.top) < 8 && abs(fixed.angle - found.angle) < 0.1)
        #expect(abs((fixed.right - fixed.left) / (found.right - found.left) - 1) < 0.1)
        let embedding = try withNoGrad { try network(DlibFaceRecognition.idLossInput(crop.tensor())) }
        let unit = try withNoGrad { try network.idLossEmbedding(crop.tensor()) }
        #expect(try (unit - F.normalize(embedding)).abs().max().item() < 1e-6)
        let astronaut = try Tensor(reference.faces[0].descriptor.map(Float.init)).unsqueeze(0)
        let hopper = try Tensor(reference.faces[2].descriptor.map(Float.init)).unsqueeze(0)
        #expect(try (embedding - astronaut).square().sum().sqrt().item() < 0.6)
        #expect(try (embedding - hopper).square().sum().sqrt().item() > 0.6)
    }

    /// The two differentiable pieces written here, against finite differences: the chip sampler (through a pyramid
    /// level) and dlib's zero-extending add; and the loss reaches the image.
    @Test func gradientsMatchFiniteDifferences() throws {
        let image = try Tensor.rand([1, 2, 40, 40], dtype: .float64, generator: Generator(seed: 3)) * 255
        let chip = DlibFaceChip(left: 4.3, top: 5.1, right: 33.7, bottom: 34.5, angle: 0.2, size: 8)
        let small = try GradCheck.check(inputs: [image]) { try chip.sample($0[0]) }
        #expect(small.passed, "\(small)")
        let big = try Tensor.rand([1, 1, 60, 60], dtype: .float64, generator: Generator(seed: 4))
        let pyramid = DlibFaceChip(left: 2, top: 3, right: 50, bottom: 52, angle: -0.1, size: 6)
        #expect(DlibFaceChip.area(DlibFaceChip.rectDown((2, 3, 50, 52))) > 36)
        let through = try GradCheck.check(inputs: [big]) { try pyramid.sample($0[0]) }
        #expect(through.passed, "\(through)")
        let a = try Tensor.rand([1, 4, 3, 3], dtype: .float64, generator: Generator(seed: 5))
        let b = try Tensor.rand([1, 2, 4, 4], dtype: .float64, generator: Generator(seed: 6))
        let add = try GradCheck.check(inputs: [a, b]) { try DlibFaceRecognition.addPrev($0[0], $0[1]) }
        #expect(add.passed, "\(add)")
        let sum = try DlibFaceRecognition.addPrev(a, b)
        #expect(sum.shape == [1, 4, 4, 4])
        #expect(try sum.slice(1, 2, 4).slice(2, 3, 4).abs().max().item() == 0)

        let network = try network()
        let faces = try (Tensor.rand([1, 3, 64, 64], generator: Generator(seed: 8)) * 2 - 1).detach()
        try faces.requiresGrad(true)
        try network.idLossEmbedding(faces).square().sum().backward()
        #expect(try faces.grad!.abs().sum().item() > 0)
    }

    /// Files that are not this network fail with an error that names the file and the byte: truncated, padded, a
    /// shape predictor, a record that is not the one the network has there.
    @Test func badFilesAreRefusedWithTheirFault() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: models.require(models.faceRecognition)))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dlib-recognition-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func refused(_ name: String, _ bytes: Data, _ fault: String) throws {
            let path = folder.appendingPathComponent(name).path
            try bytes.write(to: URL(fileURLWithPath: path))
            let error = try #require(throws: DlibError.self) { try DlibFaceRecognition.load(from: path) }
            #expect(error.description.hasPrefix(path + ": at byte "), "\(error)")
            #expect(error.description.contains(fault), "\(error)")
        }
        try refused("truncated.dat", good.prefix(good.count / 2), "larger than the rest of the file")
        try refused("short.dat", good.prefix(300), "ends")
        try refused("padded.dat", good + Data([1, 0]), "2 bytes follow")
        var renamed = good
        renamed.replaceSubrange(336..<341, with: Array("con_9".utf8))  // the first layer's version tag
        try refused("renamed.dat", renamed, "\"con_9\"")
        try refused("landmarks.dat", Data(contentsOf: URL(fileURLWithPath: models.landmarks68)).prefix(1 << 20), "unsigned")
        #expect(throws: DlibError.self) { try DlibFaceRecognition.load(from: folder.appendingPathComponent("none.dat").path) }
    }
}
