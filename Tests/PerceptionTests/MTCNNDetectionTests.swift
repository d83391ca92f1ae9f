import Images
@testable import Perception
import Testing
import Torch

/// The whole detector on drawn faces, against the PyTorch/PIL reference pipeline run on the same pictures (written
/// to PNG from `SyntheticFace`): boxes, scores and landmarks agree to a few thousandths of a pixel.
@Suite("MTCNN detection")
struct MTCNNDetectionTests {
    let mtcnn: MTCNN

    init() throws {
        try Runtime.start()
        mtcnn = try MTCNN()
    }

    /// Reference box [x1, y1, x2, y2], score, landmarks x0...x4 then y0...y4.
    private func expect(_ face: Face, box: [Double], score: Double, landmarks: [Double],
                        sourceLocation: SourceLocation = #_sourceLocation)
    {
        let b = face.box
        let got = [b.x1, b.y1, b.x2, b.y2] + face.landmarks.points.map(\.x) + face.landmarks.points.map(\.y)
        for (g, w) in zip(got, box + landmarks) {
            #expect(abs(g - w) < 0.02, "\(got) vs \(box + landmarks)", sourceLocation: sourceLocation)
        }
        #expect(abs(face.score - score) < 1e-4, sourceLocation: sourceLocation)
    }

    @Test func findsTheDrawnFace() throws {
        let faces = try mtcnn.detect(image: SyntheticFace.image(size: 160))
        try #require(faces.count == 1)
        expect(faces[0], box: [38.1998823583, 34.1392339468, 116.8352719545, 133.8337114006], score: 0.9969345331,
               landmarks: [61.6713855267, 98.1815592051, 80.8854831457, 66.6591863632, 94.5097767115,
                           72.8925762177, 73.190094173, 95.1205018759, 114.2494354248, 114.1433998346])
        // The eyes were drawn at (62, 73) and (98, 73), the mouth centred at (80, 115).
        let l = faces[0].landmarks
        #expect(abs(l.leftEye.x - 62) < 1 && abs(l.rightEye.x - 98) < 1 && abs(l.leftEye.y - 73) < 1)
        #expect(l.mouthLeft.x < 80 && l.mouthRight.x > 80 && abs(l.mouthLeft.y - 115) < 2)
    }

    @Test func smallFaceAndTensorInput() throws {
        let faces = try mtcnn.detect(image: SyntheticFace.image(size: 96).tensor().squeeze(0))
        try #require(faces.count == 1)
        expect(faces[0], box: [23.7573111057, 19.8718853891, 71.1225650311, 78.6304360628], score: 0.9907743335,
               landmarks: [37.5327546597, 59.3213748932, 48.4245510101, 39.3785178661, 56.841958046,
                           43.5742051601, 43.3533949852, 55.5455670357, 67.9372825623, 67.9102115631])
    }

    @Test func twoFacesBestScoreFirst() throws {
        let faces = try mtcnn.detect(image: SyntheticFace.pair())
        try #require(faces.count == 2)
        expect(faces[0], box: [222.8875846863, 81.449796848, 269.2233905792, 139.4615754038], score: 0.9957734942,
               landmarks: [237.1635990143, 258.9604568481, 248.6719589233, 240.0137653351, 256.8363113403,
                           103.8755944073, 104.1276531219, 116.5912073255, 128.1267880201, 128.1130143404])
        expect(faces[1], box: [49.3211251497, 55.7428970635, 126.1557139158, 152.4425814301], score: 0.9929514527,
               landmarks: [71.8757765889, 108.2795032263, 90.7485533953, 76.4872605801, 104.8517612219,
                           92.4158992171, 92.9100182652, 113.8981618881, 133.2615101337, 133.309420228])
    }

    @Test func noFaceInPlainOrSmallImages() throws {
        let gray = try Image(width: 120, height: 90, channels: 1, bitDepth: 8,
                             pixels: .init(repeating: 128, count: 10800))
        #expect(try mtcnn.detect(image: gray).isEmpty)
        let ramp = try (Tensor.arange(0, 200).reshape([1, 1, 1, 200]).expand([1, 3, 150, 200]) / 100 - 1)
        #expect(try mtcnn.detect(image: ramp).isEmpty)
        // Shorter than the smallest face: no pyramid level at all.
        #expect(try mtcnn.detect(image: Tensor.zeros([1, 3, 19, 300])).isEmpty)
    }

    @Test func rejectsNonImages() throws {
        #expect(throws: TorchError.self) { try mtcnn.detect(image: Tensor.zeros([2, 3, 32, 32])) }
        #expect(throws: TorchError.self) { try mtcnn.detect(image: Tensor.zeros([1, 1, 32, 32])) }
    }
}
