/// Image-quality and identity metrics.
public enum Metrics {}
