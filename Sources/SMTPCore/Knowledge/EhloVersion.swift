/// The version of ehlo, shown by `--version` and written in transcript headers.
public enum EhloVersion {
    public static let current = "0.1.0"
}
