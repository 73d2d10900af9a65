extension HandoutRenderer {
    /// The page's style, inline: no fonts or files from elsewhere. The print part keeps each step
    /// whole on a page and drops colour backgrounds, for a handout on paper.
    public static let stylesheet = """
        :root { --client: #1f5fa8; --server: #5a3d99; --ok: #1d7a35; --more: #1f5fa8; --soon: #a86400;
          --no: #b3261e; --line: #888; --note: #444; --bg: #fff; --fg: #111; }
        * { box-sizing: border-box; }
        body { margin: 0 auto; max-width: 72rem; padding: 1rem 1.5rem; font: 16px/1.4 system-ui, sans-serif;
          color: var(--fg); background: var(--bg); }
        h1 { font-size: 1.6rem; margin: .2rem 0; } h2 { font-size: 1.25rem; margin: 1.2rem 0 .2rem; }
        .meta, .empty { color: var(--note); margin: .2rem 0 .6rem; }
        .seq { border: 1px solid #ccc; border-radius: 6px; padding: .5rem 0 .8rem; }
        .lanes { display: flex; justify-content: space-between; padding: 0 .5rem; font-weight: 600; }
        .lane { width: 12rem; text-align: center; border-bottom: 3px solid; padding-bottom: .2rem; }
        .lane small { display: block; font-weight: 400; font-size: .8rem; overflow-wrap: anywhere; }
        .lane-client { color: var(--client); } .lane-server { color: var(--server); }
        .steps { list-style: none; margin: 0; padding: .4rem 6.5rem; position: relative; }
        .steps::before, .steps::after { content: ""; position: absolute; top: 0; bottom: 0; width: 0;
          border-left: 2px dashed var(--line); }
        .steps::before { left: 6.5rem; } .steps::after { right: 6.5rem; }
        .step { margin: .35rem 0; position: relative; }
        .arrow { position: relative; padding: .1rem .9rem .15rem; border-bottom: 2px solid; }
        .arrow::after { content: ""; position: absolute; bottom: -7px; border-top: 6px solid transparent;
          border-bottom: 6px solid transparent; }
        .from-client .arrow { color: var(--client); margin-right: .2rem; }
        .from-client .arrow::after { right: -2px; border-left: 12px solid var(--client); }
        .from-server .arrow { margin-left: .2rem; text-align: right; }
        .from-server .arrow::after { left: -2px; border-right: 12px solid currentColor; }
        .reply-2xx .arrow { color: var(--ok); } .reply-3xx .arrow { color: var(--more); }
        .reply-4xx .arrow { color: var(--soon); } .reply-5xx .arrow { color: var(--no); }
        .reply-0xx .arrow { color: var(--note); }
        pre.wire { margin: 0; font: .92rem/1.3 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap;
          overflow-wrap: anywhere; color: var(--fg); display: inline-block; text-align: left; }
        .notes { margin: .25rem .9rem .5rem; font-size: .88rem; color: var(--note); }
        .note { margin: .05rem 0; } .note.warning { color: var(--no); }
        .note.warning::before { content: "! "; font-weight: 700; }
        .event { text-align: center; color: var(--note); font-style: italic; font-size: .88rem; }
        .event span { background: var(--bg); padding: 0 .5rem; position: relative; }
        table { border-collapse: collapse; width: 100%; font-size: .9rem; margin: .4rem 0 1rem; }
        th, td { border: 1px solid #ccc; padding: .25rem .45rem; text-align: left; vertical-align: top; }
        th { background: #f2f2f2; }
        .dashboard header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
        .status { font-size: .9rem; color: var(--note); }
        .lessons { display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; margin: .2rem 0 .6rem; font-size: .9rem; }
        .lesson ul { list-style: none; margin: .1rem 0; padding: 0; } .count { color: var(--note); }
        .goal.met { color: var(--ok); } .goal.met::before { content: "✔ "; }
        .goal:not(.met)::before { content: "○ "; color: var(--note); }
        pre.stored { background: #f6f6f6; border: 1px solid #ddd; padding: .5rem; white-space: pre-wrap;
          overflow-wrap: anywhere; font: .85rem/1.3 ui-monospace, "DejaVu Sans Mono", monospace; }
        .session.open h2::after { content: " ● live"; color: var(--ok); font-size: .9rem; }
        @media (max-width: 40rem) { .steps { padding: .4rem 1.5rem; } .steps::before { left: 1.5rem; }
          .steps::after { right: 1.5rem; } .lane { width: auto; } }
        @page { margin: 1.5cm; }
        @media print {
          body { max-width: none; padding: 0; font-size: 10.5pt; }
          .seq { border: none; } .step, tr { break-inside: avoid; } h2 { break-after: avoid; }
          .status, .live-only { display: none; }
          .session.open h2::after { content: ""; }
          pre.stored { background: none; }
        }
        """
}
