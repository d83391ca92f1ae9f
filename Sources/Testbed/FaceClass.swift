/// CelebAMask-HQ's 19 classes in the order face parsers (BiSeNet 79999_iter.pth) use.
///
/// "left" is the subject's own left, which appears on the right of the image. Beards and moustaches are
/// `skin`, as CelebAMask-HQ has no class for them; glasses cover the eyes behind their lenses, as the
/// dataset's `eye_g` masks do.
public enum FaceClass: Int, CaseIterable, Codable, Sendable {
    case background = 0, skin, leftBrow, rightBrow, leftEye, rightEye, eyeGlasses, leftEar, rightEar, earring,
         nose, mouth, upperLip, lowerLip, neck, necklace, cloth, hair, hat
}
