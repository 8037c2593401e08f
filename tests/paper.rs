//! The paper itself (the repository's default project), built once.

mod common;
use common::*;

use std::path::PathBuf;
use std::sync::OnceLock;

struct Built {
    _dir: tempfile::TempDir,
    out: PathBuf,
    stderr: String,
}

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("public");
        let r = build_paper(&out, &[]);
        Built {
            _dir: dir,
            out,
            stderr: r.stderr,
        }
    })
}

/// Build the paper into `out` (the repository is only read).
fn build_paper(out: &std::path::Path, extra: &[&str]) -> Run {
    let root = repo();
    let mut args = vec![
        "build",
        "--root",
        root.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let r = galley(&args, &root);
    assert_eq!(r.status, 0, "{}", r.stderr);
    r
}

fn html() -> String {
    std::fs::read_to_string(built().out.join("index.html")).unwrap()
}

/// The article's in-text citations in reading order (sections 1–4 with
/// Table 1 placed in 2.3 and Table 2 in 2.4), as printed.
const ARTICLE_CITATIONS: &[&str] = &[
    "[1, 2]",
    "[3, 4]",
    "[2, 5–7]",
    "[8–10]",
    "[2]",
    "[11]",
    "[11–15]",
    "[16]",
    "[17]",
    "[18, 19]",
    "[20, 21]",
    "[22]",
    "[23]",
    "[24, 25]",
    "[26]",
    "[27, 28]",
    "[17, 29, 30]",
    "[31, 32]",
    "[32]",
    "[33–36]",
    "[25, 37]",
    "[38–40]",
    "[41]",
    "[42]",
];

#[test]
fn citation_numbers_match_the_article() {
    let cites = citations(&html());
    assert_eq!(&cites[..ARTICLE_CITATIONS.len()], ARTICLE_CITATIONS);
    // Table 1's rows cite the trials 43–49 in order, then the RoB2 tool is 50.
    let next: Vec<&str> = cites[ARTICLE_CITATIONS.len()..ARTICLE_CITATIONS.len() + 8]
        .iter()
        .map(String::as_str)
        .collect();
    assert_eq!(
        next,
        ["[43]", "[44]", "[45]", "[46]", "[47]", "[48]", "[49]", "[50]"]
    );
    for later in ["[55–61]", "[63–66]", "[27, 52]", "[53, 54]"] {
        assert!(cites.iter().any(|c| c == later), "{later} missing");
    }
}

#[test]
fn reference_list_is_the_articles() {
    let html = html();
    let list = between(&html, "<ol class=\"reflist\">", "</ol>").unwrap();
    let keys: Vec<&str> = include_str!("../bibliography/KEYS.txt")
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(keys.len(), 66);
    let ids: Vec<&str> = list
        .split("<li id=\"ref-")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(ids, keys);
    let entry = |key: &str| {
        text_of(
            between(
                list,
                &format!("<li id=\"ref-{key}\">"),
                "<span class=\"backlinks\">",
            )
            .unwrap(),
        )
        .trim()
        .to_string()
    };
    assert_eq!(
        entry("abdallah2022"),
        "43. C. G. Abdallah, J. D. Roache, R. Gueorguieva, et al., “Dose-Related Effects of Ketamine for Antidepressant-Resistant Symptoms of Post-traumatic Stress Disorder in Veterans and Active Duty Military: A Double-Blind, Randomized, Placebo-Controlled Multi-Center Clinical Trial,” Neuropsychopharmacology 47, no. 8 (2022): 1574–1581."
    );
    assert_eq!(
        entry("pietrzak2011"),
        "3. R. H. Pietrzak, R. B. Goldstein, S. M. Southwick, and B. F. Grant, “Prevalence and Axis I Comorbidity of Full and Partial Posttraumatic Stress Disorder in the United States: Results From Wave 2 of the National Epidemiologic Survey on Alcohol and Related Conditions,” Journal of Anxiety Disorders 25, no. 3 (2011): 456–465."
    );
    assert_eq!(
        entry("rosenbaum2025"),
        "24. S. B. Rosenbaum, V. Gupta, P. Patel, and J. L. Palacios, “Ketamine,” in StatPearls (StatPearls Publishing, 2025)."
    );
    assert!(entry("rob2").starts_with("50. “RoB 2: A Revised Cochrane Risk-of-Bias Tool for Randomized Trials,” accessed August 15, 2025,"));
    assert!(
        list.contains("<em>Neuropsychopharmacology</em>"),
        "journal in italics"
    );
}

#[test]
fn derived_figures_come_from_the_data() {
    let text = text_of(&without_tips(&html()));
    assert!(
        text.contains("Seven studies with a total of 323 participants"),
        "abstract"
    );
    assert!(text.contains(
        "A total of 323 patients with PTSD were included across the seven included RCTs"
    ));
    assert!(text.contains("ranged from 18 to 70"));
    assert!(text.contains("0.2–0.5 mg/kg"));
    assert!(text.contains(
        "A total of 3767 studies were retrieved. 1809 studies were identified as duplicates"
    ));
    assert!(text.contains("We identified a total of six studies"));
    assert!(text.contains("A total of five studies examined the durability"));
    // The section files carry references, not the numbers themselves.
    for entry in std::fs::read_dir(repo().join("manuscript/sections"))
        .unwrap()
        .flatten()
    {
        let src = std::fs::read_to_string(entry.path()).unwrap();
        for literal in [
            "323",
            "18–70",
            "18 to 70",
            "0.2–0.5",
            "3767",
            "1809",
            "1934",
            "Seven",
            "seven",
        ] {
            assert!(
                !src.contains(literal),
                "{} types `{literal}` by hand",
                entry.path().display()
            );
        }
    }
}

#[test]
fn tables_figure_and_sections_are_all_there() {
    let html = html();
    for id in ["tbl-studies", "tbl-rob", "tbl-eligibility", "fig-prisma"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let text = text_of(&html);
    for caption in [
        "Table 1 | Randomized controlled trials",
        "Table 2 | Risk of bias",
        "Table 3 | Eligibility criteria",
        "Figure 1 | PRISMA flow diagram",
    ] {
        assert!(text.contains(caption), "{caption}");
    }
    for heading in [
        "1 | Introduction",
        "1.1 | Aims of the Study",
        "2.1 | Search Strategy",
        "2.4 | Quality Assessment",
        "3.7 | The Effect of Ketamine on Mechanisms",
        "4 | Discussion",
        "5 | Conclusion",
    ] {
        assert!(text.contains(heading), "{heading}");
    }
    let rob = between(&html, "id=\"tbl-rob\"", "</figure>").unwrap();
    assert_eq!(
        rob.matches("class=\"mark mark-good\"").count(),
        40 + 1,
        "40 L marks + legend"
    );
    assert_eq!(rob.matches("class=\"mark mark-warn\"").count(), 2 + 1);
    let studies = between(&html, "id=\"tbl-studies\"", "</figure>").unwrap();
    assert!(studies.contains("Abdallah et al. (2022)") && !studies.contains("Abdullah"));
    assert!(studies.contains("Danböck et al. (2024)"));
}

#[test]
fn prisma_mismatch_is_reported_as_a_warning() {
    assert!(
        built()
            .stderr
            .contains("3767 − 1809 = 1958, but 1934 were screened"),
        "{}",
        built().stderr
    );
}

#[test]
fn credits_the_original_article() {
    let text = text_of(&html());
    assert!(text.contains("Originally published as: Yin L, Lu A, Le GH"));
    assert!(text.contains("Acta Psychiatrica Scandinavica (2025)"));
    assert!(text.contains("CC BY 4.0"));
    let bib =
        std::fs::read_to_string(built().out.join("ketamine-ptsd-systematic-review.bib")).unwrap();
    assert!(bib.contains("Yin, Liyang and Lu, Andy"));
}

#[test]
fn scholarly_metadata() {
    let html = html();
    assert!(html.contains("<meta name=\"citation_title\" content=\"Effects of Intravenous Ketamine on Posttraumatic Stress Disorder (PTSD): A Systematic Review\">"));
    assert_eq!(html.matches("<meta name=\"citation_author\" ").count(), 16);
    assert_eq!(
        html.matches("<meta name=\"citation_reference\" ").count(),
        66
    );
    assert!(html.contains("<meta name=\"citation_publication_date\" content=\"2025/11/14\">"));
    assert!(html.contains(
        "<meta name=\"citation_pdf_url\" content=\"ketamine-ptsd-systematic-review.pdf\">"
    ));
    assert!(html.contains(
        "<meta name=\"citation_journal_title\" content=\"Acta Psychiatrica Scandinavica\">"
    ));
    for field in [
        "headline",
        "author",
        "datePublished",
        "keywords",
        "abstract",
        "isPartOf",
        "license",
        "citation",
    ] {
        assert!(v_has(&html, field), "JSON-LD lacks {field}");
    }
    let ld = between(&html, "<script type=\"application/ld+json\">", "</script>").unwrap();
    let v: serde_json::Value = serde_json::from_str(ld).unwrap();
    assert_eq!(v["@type"], "ScholarlyArticle");
    assert_eq!(v["author"].as_array().unwrap().len(), 16);
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing loaded from another host"
    );
}

// ------------------------------------------------------------------ PDF

fn pdf_path() -> PathBuf {
    built().out.join("ketamine-ptsd-systematic-review.pdf")
}

/// The PDF's text in content-stream order (`pdftotext -raw`, poppler-utils).
fn pdf_text() -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8", pdf_path().to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) must be installed; tests/provision.sh installs it");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Mathematical alphanumerics to ASCII, soft hyphens and list bullets out.
fn normalize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let u = c as u32;
            if (0x1D400..0x1D6A4).contains(&u) {
                let k = (u - 0x1D400) % 52;
                return char::from_u32(if k < 26 {
                    'A' as u32 + k
                } else {
                    'a' as u32 + k - 26
                });
            }
            match c {
                '\u{210E}' => Some('h'),
                '\u{AD}' | '•' => None,
                _ => Some(c),
            }
        })
        .collect()
}

fn squash(s: &str) -> String {
    normalize(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn numeric_citations(text: &str) -> Vec<String> {
    let collapsed = normalize(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let re = regex::Regex::new(r"\[\d+(?:(?:, |–)\d+)*\]").unwrap();
    re.find_iter(&collapsed)
        .map(|m| m.as_str().to_string())
        .collect()
}

/// The HTML as a reader sees it: no tooltips, no screen-reader-only text.
fn visible_html() -> String {
    let html = without_tips(&html());
    let re = regex::Regex::new(r#"<span class="visually-hidden">[^<]*</span>"#).unwrap();
    re.replace_all(&html, "").into_owned()
}

#[test]
fn pdf_citations_match_the_site_in_reading_order() {
    let html = visible_html();
    let body =
        &html[html.find("<main").unwrap()..html.find("<section class=\"references\"").unwrap()];
    let site = numeric_citations(&text_of(body));
    let pdf = numeric_citations(&pdf_text());
    assert!(site.len() > 90, "{site:?}");
    assert_eq!(site, pdf);
}

#[test]
fn pdf_reference_list_matches_the_site() {
    let pdf = squash(&pdf_text());
    let html = html();
    let list = between(&html, "<ol class=\"reflist\">", "</ol>").unwrap();
    let entries: Vec<String> = list
        .split("<li id=\"ref-")
        .skip(1)
        .map(|li| {
            text_of(
                &li[li.find('>').unwrap() + 1
                    ..li.find("<span class=\"backlinks\">").unwrap_or(li.len())],
            )
        })
        .collect();
    assert_eq!(entries.len(), 66);
    for e in entries {
        assert!(
            pdf.contains(&squash(&e)),
            "reference missing from the PDF: {e}"
        );
    }
}

#[test]
fn pdf_table_cells_and_numbers_match_the_site() {
    let html = visible_html();
    // Page furniture interrupts cells that break across pages: the running
    // head and the repeated header row of Table 1.
    let header = squash(&text_of(
        between(&html, "id=\"tbl-studies\"", "</thead>")
            .unwrap()
            .split("<thead>")
            .nth(1)
            .unwrap(),
    ));
    let furniture = regex::Regex::new(&format!(
        r"Yinetal\.·ActaPsychiatricaScandinavica,2025\d+(?:{})?",
        regex::escape(&header)
    ))
    .unwrap();
    let pdf = furniture.replace_all(&squash(&pdf_text()), "").into_owned();
    let cell = regex::Regex::new(r"(?s)<t[dh][^>]*>(.*?)</t[dh]>").unwrap();
    let mut n = 0;
    for id in ["tbl-studies", "tbl-rob", "tbl-eligibility"] {
        let table = between(&html, &format!("id=\"{id}\""), "</figure>").unwrap();
        for c in cell.captures_iter(table) {
            let text = squash(&text_of(&c[1]));
            if !text.is_empty() {
                assert!(
                    pdf.contains(&text),
                    "{id}: cell missing from the PDF: {text}"
                );
                n += 1;
            }
        }
    }
    assert!(n > 100, "{n} cells");
    for label in [
        "Table1|Randomized",
        "Table2|Riskofbias",
        "Table3|Eligibility",
        "Figure1|PRISMAflowdiagram.",
        "(Figure1)",
        "(Table3)",
    ] {
        assert!(pdf.contains(label), "{label}");
    }
    for glyph in ["Danböck", "≥", "→", "–"] {
        assert!(pdf.contains(glyph), "{glyph} missing (font coverage)");
    }
    // μ comes from math (\mu), set in the math font's italic.
    assert!(pdf.contains('𝜇') || pdf.contains('μ'), "μ missing");
}

#[test]
fn pdf_metadata_and_determinism() {
    let info = std::process::Command::new("pdfinfo")
        .arg(pdf_path())
        .output()
        .expect("pdfinfo");
    let info = String::from_utf8_lossy(&info.stdout).into_owned();
    assert!(
        info.contains("Title:           Effects of Intravenous Ketamine"),
        "{info}"
    );
    assert!(
        info.contains("Author:          Liyang Yin, Andy Lu"),
        "{info}"
    );
    assert!(
        info.contains("Keywords:        Ketalar, ketamine"),
        "{info}"
    );
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(
        info.contains("CreationDate:    Fri Nov 14 00:00:00 2025"),
        "fixed date: {info}"
    );
    // Sections are bookmarked destinations; citations and cross-references
    // are links inside the document (pdftohtml lists them as page links).
    let dests = std::process::Command::new("pdfinfo")
        .arg("-dests")
        .arg(pdf_path())
        .output()
        .expect("pdfinfo");
    let dests = String::from_utf8_lossy(&dests.stdout).into_owned();
    for d in [
        "\"sec-introduction\"",
        "\"sec-quality-assessment\"",
        "\"references\"",
    ] {
        assert!(dests.contains(d), "no destination {d}");
    }
    let xml = std::process::Command::new("pdftohtml")
        .args(["-xml", "-i", "-stdout"])
        .arg(pdf_path())
        .output()
        .expect("pdftohtml");
    let xml = String::from_utf8_lossy(&xml.stdout).into_owned();
    let internal = xml.matches(".html#").count();
    assert!(internal > 100, "only {internal} internal links");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("again");
    build_paper(&out, &["--pdf"]);
    let again = std::fs::read(out.join("ketamine-ptsd-systematic-review.pdf")).unwrap();
    assert!(
        again == std::fs::read(pdf_path()).unwrap(),
        "two builds give different PDFs"
    );
}

#[test]
fn pdf_fonts_are_embedded_and_the_file_is_well_formed() {
    let fonts = std::process::Command::new("pdffonts")
        .arg(pdf_path())
        .output()
        .expect("pdffonts");
    let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
    let rows: Vec<&str> = fonts
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(rows.len() >= 3, "{fonts}");
    for row in &rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // name type... encoding emb sub uni id gen: `emb` is 5th from the end.
        assert_eq!(cols[cols.len() - 5], "yes", "font not embedded: {row}");
    }
    let check = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(pdf_path())
        .output()
        .expect("qpdf (installed by tests/provision.sh)");
    let out = String::from_utf8_lossy(&check.stdout).into_owned();
    assert!(check.status.success(), "qpdf --check failed: {out}");
    assert!(
        out.contains("No syntax or stream encoding errors found"),
        "{out}"
    );
}

fn v_has(html: &str, field: &str) -> bool {
    let ld = between(html, "<script type=\"application/ld+json\">", "</script>").unwrap();
    let v: serde_json::Value = serde_json::from_str(ld).unwrap();
    v.get(field).is_some_and(|x| !x.is_null())
}

#[test]
fn emitted_typst_source_gives_the_same_pdf() {
    let dir = tempfile::tempdir().unwrap();
    let emit = dir.path().join("typst");
    let out = dir.path().join("site");
    build_paper(&out, &["--pdf", "--emit-typst", emit.to_str().unwrap()]);
    // Compile the emitted folder on its own, as the Typst CLI would.
    let mut files = Vec::new();
    let mut stack = vec![emit.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap() != "main.typ" {
                let rel = p
                    .strip_prefix(&emit)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.push(galley::render::pdf::InFile {
                    vpath: format!("/{rel}"),
                    bytes: std::fs::read(&p).unwrap(),
                    origin: p.clone(),
                });
            }
        }
    }
    let main = std::fs::read_to_string(emit.join("main.typ")).unwrap();
    let world = galley::render::pdf::GalleyWorld::new(main, files, Some((2025, 11, 14))).unwrap();
    let creator = galley::render::pdf::renderer::creator();
    let ua1 = galley::load::meta::PdfConformance::Ua1;
    let pdf = galley::render::pdf::render(&world, "ketamine-ptsd-systematic-review", &creator, ua1)
        .unwrap();
    assert!(pdf.bytes == std::fs::read(out.join("ketamine-ptsd-systematic-review.pdf")).unwrap());
}
