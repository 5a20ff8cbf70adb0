//! The pack's structure for a tagged PDF (PDF/UA-1), recorded as the pages
//! are drawn: headings, paragraphs, the list of signatories and the chart,
//! each holding the marked text drawn while it was open, in reading order.

use krilla::tagging::{Identifier, Tag, TagGroup, TagKind, TagTree};

/// The pack's structure as it is drawn: the tree so far, and the elements
/// open now, innermost last.
#[derive(Default)]
pub(super) struct Structure {
    tree: Vec<TagGroup>,
    open: Vec<TagGroup>,
}

impl Structure {
    /// Opens an element inside the one open now.
    pub(super) fn open(&mut self, tag: impl Into<TagKind>) {
        self.open.push(TagGroup::new(tag));
    }

    /// Closes the innermost element open.
    pub(super) fn close(&mut self) {
        if let Some(mut element) = self.open.pop() {
            // A closed element gains no more children; the room kept for
            // them would be most of a 100,000-item list's memory.
            element.children.shrink_to_fit();
            match self.open.last_mut() {
                Some(parent) => parent.push(element),
                None => self.tree.push(element),
            }
        }
    }

    /// Closes every element open.
    pub(super) fn close_all(&mut self) {
        while !self.open.is_empty() {
            self.close();
        }
    }

    /// Marked content, into the element open now (a paragraph of its own
    /// if none is).
    pub(super) fn leaf(&mut self, id: Identifier) {
        match self.open.last_mut() {
            Some(element) => element.push(id),
            None => {
                let mut paragraph = TagGroup::new(Tag::P);
                paragraph.push(id);
                self.tree.push(paragraph);
            }
        }
    }

    /// The finished tree, in `language`.
    pub(super) fn finish(mut self, language: &str) -> TagTree {
        self.close_all();
        let mut tree = TagTree::new().with_lang(Some(language.to_owned()));
        for element in self.tree {
            tree.push(element);
        }
        tree
    }
}
