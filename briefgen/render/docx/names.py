"""The named Word styles of briefgen's DOCX: written by render/docx/, read back
by content/importers/docx.py. Renaming one is a change of file format."""

STYLE_PUBLISHER = "Cover Publisher"
STYLE_SERIES = "Cover Series"
STYLE_ISSUE_LINE = "Cover Issue Line"
STYLE_COVER_LABEL = "Cover Label"
STYLE_COVER_CONTRIBUTOR = "Cover Contributor"
STYLE_STANDFIRST = "Subtitle"
STYLE_LEDE = "Lede"
STYLE_BODY = "Body Text"
#: Body Text kept with the next paragraph: a piece's last paragraph, with its attribution
STYLE_BODY_LAST = "Body Text Last"
#: the rest of a paragraph that a pull quote stands inside (outline.Piece.continued):
#: an import joins it to the Body Text before the quote
STYLE_BODY_CONTINUED = "Body Text Continued"
STYLE_EXPERTS_INTRO = "Experts Intro"
STYLE_PULL_QUOTE = "Pull Quote"
STYLE_ATTRIBUTION = "Attribution"
STYLE_BIO_PHOTO = "Bio Photo"
STYLE_BIO_NAME = "Bio Name"
STYLE_BIO_AFFILIATION = "Bio Affiliation"
STYLE_BIO = "Bio"
#: the back page's heading (a Heading 1 in the panel: the PDF's plain, larger heading)
STYLE_BACK_HEADING = "Back Heading"
STYLE_CTA = "Call to Action"
STYLE_CTA_LINK = "Call to Action Link"
STYLE_COLOPHON = "Colophon"
#: the colophon's fields (front matter `colophon:`), one style each so an import
#: reads each back: model field -> style
STYLE_COLOPHON_FIELDS = {"address": "Colophon Address", "issn": "Colophon ISSN",
                         "copyright": "Colophon Copyright",
                         "disclaimer": "Colophon Disclaimer"}
CHAR_MARKED = "Pull Quote Source"
# Not "Strong Emphasis": LibreOffice uses that name for Word's "Strong" and merges them.
CHAR_STRONG_EMPHASIS = "Strong Italic"
CHAR_CODE = "Code"
CHAR_LINK = "Hyperlink"
CHAR_ROLE = "Role"
CHAR_ORGANISATION = "Organisation"
#: the publisher run in at the head of a title block's series line (memo: one
#: line, "Publisher · Series", as its PDF): an import reads it as the publisher
CHAR_PUBLISHER = "Publisher"
#: what follows a name in a cover's list (an affiliation, a paper's series): muted
CHAR_COVER_NOTE = "Cover Note"
#: links printed as notes (outline.LinkNotes): the number after a link's words
#: (superscript), and the list after the piece, lede or bio: its heading and one
#: paragraph per number and URL. An import leaves both out: they come from the links.
CHAR_LINK_NUMBER = "Link Number"
STYLE_LINK_NOTES_HEADING = "Link Notes Heading"
STYLE_LINK_NOTE = "Link Note"
#: bookmark on each Bio Name paragraph, carrying the contributor's id for the importer
CONTRIBUTOR_BOOKMARK = "_Contributor_"

#: custom document property (docProps/custom.xml) with what Word's core properties
#: cannot keep through other editors: {"keywords": [...], "slug": "..."}
CUSTOM_PROPERTY = "briefgen"

# Packs
STYLE_AGENDA_HEAD = "Agenda Heading"
STYLE_AGENDA_TIME = "Agenda Time"
STYLE_AGENDA_ITEM = "Agenda Item"
STYLE_AGENDA_SPEAKERS = "Agenda Speakers"
#: the agenda's page column (the page of an item's paper), and the table's own style:
#: rules between the rows only, as the PDF's
STYLE_AGENDA_PAGE = "Agenda Page"
STYLE_AGENDA_PAGE_HEAD = "Agenda Page Heading"
TABLE_AGENDA = "Agenda Table"
#: an agenda's day and session headings (rows spanning the table), and the label of
#: an item an edition's recipient may not see ("Closed session")
STYLE_AGENDA_DAY = "Agenda Day"
STYLE_AGENDA_SESSION = "Agenda Session"
STYLE_AGENDA_CLOSED = "Agenda Closed"
STYLE_BIO_PAGES = "Bio Pages"
STYLE_PREPARED_FOR = "Prepared For"
#: a chapter opener's line above its title (series · issue) and its standfirst
STYLE_CHAPTER_KICKER = "Chapter Kicker"
STYLE_CHAPTER_STANDFIRST = "Chapter Standfirst"
STYLE_COVER_IMAGE = "Cover Image"
#: a pack chapter's divider page (layout dividers = true): its number ("Chapter 2"), its
#: title (a heading, based on Heading 1: the chapter's bookmark and outline entry), its
#: series and date, and its list of pieces (a label, each headline and its authors).
#: An import leaves them out: an issue has no divider, and a pack's come from its issues.
STYLE_DIVIDER_NUMBER = "Divider Number"
STYLE_DIVIDER_TITLE = "Divider Title"
STYLE_DIVIDER_LINE = "Divider Line"
STYLE_DIVIDER_LABEL = "Divider Label"
STYLE_DIVIDER_HEADLINE = "Divider Headline"
STYLE_DIVIDER_NAMES = "Divider Names"
STYLE_DIVIDER = (STYLE_DIVIDER_NUMBER, STYLE_DIVIDER_TITLE, STYLE_DIVIDER_LINE,
                 STYLE_DIVIDER_LABEL, STYLE_DIVIDER_HEADLINE, STYLE_DIVIDER_NAMES)
#: a hidden paragraph at each head of a pack's section with the text its running
#: head shows (a chapter's short title), for a STYLEREF (layout running_title = "short")
STYLE_RUNNING_TITLE = "Running Title"
