/// Which face-recognition network the identity losses and the ID metric read on faces.
public enum FaceIdentityNetwork: String, Codable, CaseIterable, Sendable {
    /// ArcFace IR-SE50 (`model_ir_se50.pth`), the papers' own, or the testbed's identity network in its layout.
    case arcface
    /// dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1.dat`), installed by `make setup`:
    /// real pretrained identity on real photos when ArcFace's weights are not at hand.
    case dlib
}
