//! The comparison table and its JSON.

/// One measured figure of one contender.
pub struct Figure {
    pub contender: &'static str,
    pub workload: &'static str,
    /// One value per repetition, in order.
    pub samples: Vec<f64>,
    /// The median of the samples.
    pub value: Option<f64>,
    /// A yes/no figure (1 or 0), not a time or a size.
    pub flag: bool,
    /// A rate, where more is better (the ratio is then Insula's over the peer's).
    pub higher: bool,
}

impl Figure {
    pub fn new(contender: &'static str, workload: &'static str, samples: Vec<f64>, flag: bool) -> Self {
        let value = (!samples.is_empty()).then(|| crate::median(samples.clone()));
        Figure { contender, workload, samples, value, flag, higher: false }
    }

    /// Marks a rate, where more is better.
    pub fn higher_is_better(self) -> Self {
        Figure { higher: true, ..self }
    }
}

#[derive(Default)]
pub struct Report {
    pub figures: Vec<Figure>,
}

const PEERS: [&str; 3] = ["native_db", "raw redb", "SQLite"];

impl Report {
    fn figure(&self, contender: &str, workload: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.contender == contender && f.workload == workload)
    }

    fn value(&self, contender: &str, workload: &str) -> Option<f64> {
        self.figure(contender, workload).and_then(|f| f.value)
    }

    /// A peer's figure over Insula's (Insula's over the peer's for a rate): the median of the ratios of the repetitions, whose
    /// samples were taken side by side, where both have one sample per repetition; else
    /// the ratio of the medians.
    fn ratio(&self, peer: &str, workload: &str) -> Option<f64> {
        let (ours, theirs) = (self.figure("insula", workload)?, self.figure(peer, workload)?);
        if ours.flag {
            return None;
        }
        // For a rate, the ratio of the other way round is the same "above 1: Insula faster".
        let (ours, theirs) = if ours.higher { (theirs, ours) } else { (ours, theirs) };
        let paired = ours.samples.len() == theirs.samples.len() && ours.samples.len() > 1;
        if paired && ours.samples.iter().all(|&ours| ours > 0.0) {
            let ratios =
                ours.samples.iter().zip(&theirs.samples).map(|(ours, theirs)| theirs / ours).collect();
            return Some(crate::median(ratios));
        }
        match (ours.value?, theirs.value?) {
            (ours, theirs) if ours > 0.0 => Some(theirs / ours),
            _ => None,
        }
    }

    fn workloads(&self) -> Vec<&'static str> {
        let mut workloads = Vec::new();
        for figure in &self.figures {
            if !workloads.contains(&figure.workload) {
                workloads.push(figure.workload);
            }
        }
        workloads
    }

    fn cell(value: Option<f64>, flag: bool) -> String {
        match value {
            None => "—".to_owned(),
            Some(v) if flag => (if v > 0.5 { "yes" } else { "no" }).to_owned(),
            Some(v) if v >= 1000.0 => format!("{v:.0}"),
            Some(v) if v >= 1.0 => format!("{v:.3}"),
            Some(v) if v >= 0.001 => format!("{:.3} ms", v * 1e3),
            Some(v) => format!("{:.1} µs", v * 1e6),
        }
    }

    /// Prints a Markdown table: every contender's figure, then Insula's ratio to each peer.
    pub fn print(&self) {
        println!();
        println!(
            "| workload | insula | native_db | raw redb | SQLite | vs native_db | vs raw redb | vs SQLite |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for workload in self.workloads() {
            let flag = self.figures.iter().any(|f| f.workload == workload && f.flag);
            let ours = self.value("insula", workload);
            let mut row = format!("| {workload} | {}", Self::cell(ours, flag));
            for peer in PEERS {
                row.push_str(&format!(" | {}", Self::cell(self.value(peer, workload), flag)));
            }
            for peer in PEERS {
                let ratio =
                    self.ratio(peer, workload).map_or("—".to_owned(), |ratio| format!("{ratio:.2}x"));
                row.push_str(&format!(" | {ratio}"));
            }
            println!("{row} |");
        }
    }

    pub fn json(&self, n: u64, repetitions: usize) -> String {
        let figures: Vec<String> = self
            .figures
            .iter()
            .map(|f| {
                let value = f.value.map_or("null".to_owned(), |v| format!("{v}"));
                let samples: Vec<String> = f.samples.iter().map(|v| format!("{v}")).collect();
                format!(
                    "    {{\"contender\": \"{}\", \"workload\": \"{}\", \"value\": {value}, \"samples\": [{}]}}",
                    f.contender,
                    f.workload,
                    samples.join(", ")
                )
            })
            .collect();
        format!(
            "{{\n  \"n\": {n},\n  \"repetitions\": {repetitions},\n  \"figures\": [\n{}\n  ]\n}}\n",
            figures.join(",\n")
        )
    }
}
