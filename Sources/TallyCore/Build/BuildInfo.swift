/// The release every executable reports (`--version`, the `tally_build_info`
/// metric) and the image tag deploy/ pins. Raised with each release.
public enum BuildInfo {
    public static let version = "0.15.0"
}
