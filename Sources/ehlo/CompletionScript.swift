import ArgumentParser

/// `ehlo --generate-completion-script bash`, mended so that `ehlo @<Tab>` lists the config
/// file's profiles.
///
/// ### Why patch the generated script?
/// Three things stand between bash and `@NAME` in swift-argument-parser 1.8's script:
/// - a default subcommand's arguments are completed only after its name
///   (apple/swift-argument-parser#488): `ehlo console @<Tab>` offers the profiles, `ehlo @<Tab>`
///   only the subcommands' names. The console is what `ehlo` runs, so its completion function
///   also runs where the root offers subcommands;
/// - readline breaks words at `@` (`COMP_WORDBREAKS`, for user@host), making `@lab` two words:
///   the script takes `@` out, as npm's completion does for `@scope/package`;
/// - `complete -o filenames` makes readline quote the `@` (`\@lab`): it is turned off while a
///   profile's name is completed.
///
/// zsh and fish get the scripts as generated (`ehlo console @<Tab>` works there). If a later
/// version changes the script so that an anchor is missing, that part is left as it was (and an
/// end-to-end test fails).
enum CompletionScript {
    /// The patched bash script when `arguments` ask for it; nil for anything else.
    static func script(for arguments: [String]) -> String? {
        guard
            arguments == ["--generate-completion-script", "bash"] || arguments == ["--generate-completion-script=bash"]
        else { return nil }
        return bashMended(Ehlo.completionScript(for: .bash))
    }

    static func bashMended(_ script: String) -> String {
        var script = script
        insert(
            [
                "# ehlo runs the console without its name: offer its options and server argument too",
                "unparsed_words=(\"${COMP_WORDS[@]:1:${COMP_CWORD}}\")", "_ehlo_console",
            ],
            after: "COMPREPLY+=($(compgen -W '\(subcommandNames)' -- \"${cur}\"))\n", in: &script)
        insert(
            ["[[ -z \"${cur}\" || \"${cur}\" == @* ]] && compopt +o filenames 2>/dev/null"],
            before: "__ehlo_add_completions -W \"$(__ehlo_custom_complete ---completion console -- positional@0",
            in: &script)
        return script + "\n# ehlo @NAME is one word\nCOMP_WORDBREAKS=${COMP_WORDBREAKS//@/}"
    }

    /// The subcommands as the generated script lists them where the root offers them.
    static var subcommandNames: String {
        (Ehlo.configuration.subcommands.map { $0._commandName } + ["help"]).joined(separator: " ")
    }

    /// Adds `lines` on lines of their own after (or before) the first line holding `anchor`, indented as it is.
    private static func insert(
        _ lines: [String], after anchor: String? = nil, before: String? = nil, in script: inout String
    ) {
        guard let text = anchor ?? before, let range = script.range(of: text) else { return }
        let lineStart =
            script[..<range.lowerBound].lastIndex(of: "\n").map { script.index(after: $0) } ?? script.startIndex
        let indent = String(script[lineStart...].prefix { $0 == " " })
        let block = lines.map { indent + $0 + "\n" }.joined()
        if anchor != nil {
            script.insert(contentsOf: block, at: range.upperBound)
        } else {
            script.insert(contentsOf: block, at: lineStart)
        }
    }
}
