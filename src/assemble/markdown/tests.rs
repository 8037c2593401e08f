//! The reader on its own, with a sink that records what it is given.
use super::*;

fn parsed_item(s: &str) -> Option<CiteItem> {
    super::citations::parse_cite_item(s).map(|(i, _)| i)
}

#[derive(Default)]
struct Rec {
    cites: Vec<(Vec<CiteItem>, CiteMode, Range<usize>)>,
    xrefs: Vec<String>,
    markers: Vec<String>,
}

impl Sink for Rec {
    fn cite(&mut self, items: Vec<CiteItem>, mode: CiteMode, span: Range<usize>) -> Inline {
        self.cites.push((items, mode, span));
        Inline::Cite(self.cites.len() - 1)
    }
    fn xref(&mut self, id: &str, _: Range<usize>) -> Inline {
        self.xrefs.push(id.to_string());
        Inline::XRef(id.to_string())
    }
    fn marker(&mut self, payload: &str, _: Range<usize>) -> Option<Block> {
        self.markers.push(payload.to_string());
        None
    }
    fn heading(
        &mut self,
        level: u8,
        id: Option<String>,
        _: Vec<String>,
        content: Vec<Inline>,
        _: Range<usize>,
    ) -> Block {
        Block::Heading(crate::model::Heading {
            level,
            id: id.unwrap_or_default(),
            number: String::new(),
            content,
        })
    }
    fn footnote_ref(&mut self, _: &str, _: Range<usize>) -> Inline {
        Inline::Note(0)
    }
    fn footnote_def(&mut self, _: &str, _: Vec<Block>, _: Range<usize>) {}
    fn error(&mut self, _: Range<usize>, message: String) {
        self.markers.push(format!("error: {message}"));
    }
    fn image(&mut self, src: &str, alt: String, _: Range<usize>) -> Inline {
        Inline::Image {
            src: src.into(),
            alt,
        }
    }
    fn math(&mut self, tex: &str, display: bool, label: Option<String>, _: Range<usize>) -> Inline {
        Inline::Math {
            tex: tex.into(),
            display,
            label,
        }
    }
    fn allow_html(&self) -> bool {
        false
    }
    fn warning(&mut self, _: Range<usize>, message: String) {
        self.markers.push(format!("warning: {message}"));
    }
    fn div(
        &mut self,
        attrs: Attrs,
        _: Option<Vec<Inline>>,
        blocks: Vec<Block>,
        _: Range<usize>,
    ) -> Vec<Block> {
        vec![Block::Div { attrs, blocks }]
    }
    fn image_figure(
        &mut self,
        src: &str,
        caption: Vec<Inline>,
        attrs: Attrs,
        _: Range<usize>,
    ) -> Block {
        Block::Figure(Box::new(crate::model::Figure {
            id: attrs.id.unwrap_or_default(),
            number: 0,
            alt: Inline::plain(&caption, None),
            caption,
            body: crate::model::FigureBody::Image { src: src.into() },
            data: None,
        }))
    }
    fn caption_table(
        &mut self,
        mut table: Table,
        caption: Vec<Inline>,
        attrs: Attrs,
        _: Range<usize>,
    ) -> Block {
        table.caption = caption;
        table.id = attrs.id;
        Block::Table(Box::new(table))
    }
    fn code_cell(&mut self, lang: &str, text: String, _: Range<usize>) -> Block {
        self.markers.push(format!("cell {lang}"));
        Block::Code {
            lang: lang.into(),
            text,
        }
    }
}

#[test]
fn pandoc_blocks() {
    let src = "::: {.callout-note}\n## Heads up\nText.\n:::\n\n![A *caption*](a.png){#fig-a width=50%}\n\n| x |\n|---|\n| 1 |\n\n: Numbers {#tbl-n}\n\n```{r}\n#| label: fig-b\nplot(1)\n```\n\n```{=typst}\n#v(1em)\n```\n";
    let mut rec = Rec::default();
    let blocks = parse(src, &mut rec, &Cache::off());
    match &blocks[0] {
        Block::Div { attrs, blocks } => {
            assert!(attrs.has_class("callout-note"));
            assert!(matches!(blocks[0], Block::Para(_)), "{blocks:?}");
        }
        other => panic!("{other:?}"),
    }
    match &blocks[1] {
        Block::Figure(f) => {
            assert_eq!(f.id, "fig-a");
            assert_eq!(Inline::plain(&f.caption, None), "A caption");
        }
        other => panic!("{other:?}"),
    }
    match &blocks[2] {
        Block::Table(t) => {
            assert_eq!(t.id.as_deref(), Some("tbl-n"));
            assert_eq!(Inline::plain(&t.caption, None), "Numbers");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(&blocks[3], Block::Code { lang, .. } if lang == "r"));
    assert!(
        matches!(&blocks[4], Block::Raw { format, text } if format == "typst" && text == "#v(1em)\n")
    );
    assert_eq!(rec.markers, ["cell r"]);
}

#[test]
fn citations_groups_locators_narrative_and_email() {
    let src = "See [@a; @b, p. 33] and @c. Mail roger@bcdf.org, \\@d, [-@e] (@tbl-x).";
    let mut rec = Rec::default();
    let blocks = parse(src, &mut rec, &Cache::off());
    assert_eq!(rec.cites.len(), 3);
    assert_eq!(
        rec.cites[0].0[1].locator,
        Some(("page".into(), "33".into()))
    );
    assert_eq!(&src[rec.cites[0].2.clone()], "[@a; @b, p. 33]");
    assert_eq!(rec.cites[1].1, CiteMode::Narrative);
    assert_eq!(rec.cites[1].0[0].key, "c");
    assert_eq!(rec.cites[2].1, CiteMode::SuppressAuthor);
    assert_eq!(rec.xrefs, vec!["tbl-x"]);
    let text = Inline::plain(
        match &blocks[0] {
            Block::Para(i) => i,
            _ => panic!(),
        },
        None,
    );
    assert!(text.contains("roger@bcdf.org"), "{text}");
    assert!(text.contains(" @d,"), "{text}");
}

#[test]
fn markers_and_headings() {
    let src = "# Intro {#sec-intro}\n\n<!--galley:table tbl-a-->\n\ntext\n";
    let mut rec = Rec::default();
    let blocks = parse(src, &mut rec, &Cache::off());
    assert_eq!(rec.markers, vec!["table tbl-a"]);
    match &blocks[0] {
        Block::Heading(h) => assert_eq!(h.id, "sec-intro"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn link_with_at_is_not_a_citation() {
    let mut rec = Rec::default();
    parse("[@k](http://x) and [see](#y)", &mut rec, &Cache::off());
    assert!(rec.cites.is_empty());
}

#[test]
fn citation_items_as_pandoc_reads_them() {
    let item = |s: &str| parsed_item(s).unwrap();
    let i = item("see @item1 chap. 3");
    assert_eq!(i.prefix.as_deref(), Some("see"));
    assert_eq!(i.locator, Some(("chapter".into(), "3".into())));
    let i = item("@item1 pp. 33, 35-37, and nowhere else");
    assert_eq!(i.locator, Some(("page".into(), "33, 35-37".into())));
    assert_eq!(i.suffix.as_deref(), Some(", and nowhere else"));
    let i = item("@item1 and nowhere else");
    assert_eq!(
        (i.locator.clone(), i.suffix.as_deref()),
        (None, Some(" and nowhere else"))
    );
    let i = item("@a, p. 30");
    assert_eq!(i.locator, Some(("page".into(), "30".into())));
    let i = item("-@item2 p. 44");
    assert!(i.suppress_author);
    assert_eq!(i.locator, Some(("page".into(), "44".into())));
    assert_eq!(
        item("@{https://doi.org/10.1/x}").key,
        "https://doi.org/10.1/x"
    );
    assert_eq!(item("@a 12").locator, Some(("page".into(), "12".into())));
    assert!(parsed_item("mail a@b.org").is_none());
}

#[test]
fn narrative_locators_and_bracketed_cross_references() {
    let src = "@a [p. 30, with suffix] says; [Section @sec-m] and [@eq-x].";
    let mut rec = Rec::default();
    let blocks = parse(src, &mut rec, &Cache::off());
    assert_eq!(rec.cites.len(), 1);
    assert_eq!(
        rec.cites[0].0[0].locator,
        Some(("page".into(), "30".into()))
    );
    assert_eq!(rec.cites[0].0[0].suffix.as_deref(), Some(", with suffix"));
    assert_eq!(rec.xrefs, ["sec-m", "eq-x"]);
    let Block::Para(inl) = &blocks[0] else {
        panic!()
    };
    assert!(inl.contains(&Inline::XRefNumber("sec-m".into())), "{inl:?}");
    assert!(inl.contains(&Inline::XRef("eq-x".into())), "{inl:?}");
    let text = Inline::plain(inl, None);
    assert!(text.contains("Section sec-m and eq-x."), "{text}");
}

#[test]
fn pandoc_xnos_references_and_manubot_aliases() {
    // `Figure @fig:x` prints the number alone, as pandoc-xnos does; a
    // reference on its own, or Quarto's `fig-x`, its name too.
    let src = "Figure @fig:a, see @fig:b, Figure @fig-c and Eq. @eq:d.\n\n[@alias]: doi:10.1/x\n\nCited [@alias].\n";
    let mut rec = Rec::default();
    let blocks = parse(src, &mut rec, &Cache::off());
    let Block::Para(inl) = &blocks[0] else {
        panic!("{blocks:?}")
    };
    assert!(inl.contains(&Inline::XRefNumber("fig:a".into())), "{inl:?}");
    assert!(inl.contains(&Inline::XRef("fig:b".into())), "{inl:?}");
    assert!(inl.contains(&Inline::XRef("fig-c".into())), "{inl:?}");
    assert!(inl.contains(&Inline::XRefNumber("eq:d".into())), "{inl:?}");
    // The alias's definition is out of the text, and `[@alias]` is a
    // citation (the sink maps the alias to its key), not a link.
    assert_eq!(blocks.len(), 2, "{blocks:?}");
    assert_eq!(rec.cites.len(), 1);
    assert_eq!(rec.cites[0].0[0].key, "alias");
    assert_eq!(
        super::prepare::citation_aliases([src].into_iter())
            .get("alias")
            .map(String::as_str),
        Some("doi:10.1/x")
    );
}

#[test]
fn markup_inside_a_citation_group() {
    let mut rec = Rec::default();
    parse(
        "With some markup [*see* @item1 p. **32**].",
        &mut rec,
        &Cache::off(),
    );
    assert_eq!(rec.cites.len(), 1, "{:?}", rec.cites);
    let item = &rec.cites[0].0[0];
    assert_eq!(
        (item.key.as_str(), item.prefix.as_deref()),
        ("item1", Some("see"))
    );
    assert_eq!(item.locator, Some(("page".into(), "32".into())));
    // An emphasis that began before the `[` is not the group's (found by
    // review: the rest of the document was lost).
    let mut rec = Rec::default();
    let blocks = parse(
        "*[a **b** c* @k]\n\nNext paragraph.\n",
        &mut rec,
        &Cache::off(),
    );
    assert!(
        format!("{blocks:?}").contains("Next paragraph."),
        "{blocks:?}"
    );
    // An image alone with no caption stays an image (found by review).
    let mut rec = Rec::default();
    let blocks = parse("![](a.png)\n", &mut rec, &Cache::off());
    assert!(format!("{blocks:?}").contains("Image"), "{blocks:?}");
    // Emphasis in brackets that are no citation stays emphasis.
    let mut rec = Rec::default();
    let blocks = parse("A [*note*] here.", &mut rec, &Cache::off());
    assert!(rec.cites.is_empty());
    assert!(format!("{blocks:?}").contains("Emph"), "{blocks:?}");
}

#[test]
fn a_div_left_open_in_a_list_item_ends_with_it() {
    let mut rec = Rec::default();
    let blocks = parse(
        "1. item\n\n   ::: {.note}\n   text\n\nAfter.\n",
        &mut rec,
        &Cache::off(),
    );
    assert!(matches!(blocks.last(), Some(Block::Para(_))), "{blocks:?}");
}

#[test]
fn review_cases_without_a_test_before() {
    // A locator term whose lowercase is shorter (U+212A KELVIN SIGN).
    assert!(parsed_item("@doe, bK. 3").is_some());
    let mut rec = Rec::default();
    parse(
        "@doe [booK 3] and [@doe, \u{212A} 2]",
        &mut rec,
        &Cache::off(),
    );
    // A line break inside a narrative citation's suffix is a space.
    let mut rec = Rec::default();
    parse("@doe [p. 30 and\nelsewhere] says.", &mut rec, &Cache::off());
    let sfx = rec.cites[0].0[0].suffix.clone().unwrap_or_default();
    assert!(!sfx.contains(super::inline::SOFT_BREAK), "{sfx:?}");
    assert!(sfx.contains("and elsewhere"), "{sfx:?}");
}
