"""A tokenizer and recursive-descent parser for the SOQL subset a connector sends.

Supported::

    SELECT field, Parent.Field, ... | COUNT()
    FROM Object
    [WHERE condition]          -- =, !=, <>, <, >, <=, >=, LIKE, IN (...), NOT IN (...),
                               -- AND / OR / NOT and parentheses (AND and OR may not be mixed
                               -- without parentheses, as in real SOQL)
    [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

Literals: 'strings' (with backslash escapes), numbers, true/false, null, unquoted dates
(2025-01-01) and datetimes (2025-01-01T00:00:00Z, +00:00 or +0000 offsets), and the date
literals TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n.

Parsing knows nothing of the schema; ``query.py`` checks fields and types. Syntax errors raise
``ApiError`` MALFORMED_QUERY with a message in Salesforce's "ERROR at Row:1:Column:n" style.
"""

import re
from dataclasses import dataclass, field

from . import values
from .errors import malformed_query

TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),:])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
""", re.VERBOSE)

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"',
           "\\": "\\", "%": "\\%", "_": "\\_"}
RANGE_LITERALS = {"TODAY", "YESTERDAY", "TOMORROW"}
N_DAY_LITERALS = {"LAST_N_DAYS", "NEXT_N_DAYS"}
CLAUSE_KEYWORDS = {"FROM", "WHERE", "ORDER", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN",
                   "LIKE", "ASC", "DESC", "NULLS", "BY", "SELECT"}


@dataclass
class Token:
    kind: str
    text: str
    position: int

    @property
    def upper(self):
        return self.text.upper()


@dataclass
class Query:
    """A parsed SELECT: ``fields`` holds (name, position) pairs; ``count`` marks COUNT()."""

    object_name: str
    object_position: int
    fields: list = field(default_factory=list)
    count: bool = False
    where: tuple = None
    order_by: list = field(default_factory=list)
    limit: int = None
    offset: int = 0


def tokenize(text):
    """Split SOQL text into tokens, dropping whitespace."""
    tokens, position = [], 0
    while position < len(text):
        match = TOKEN_RE.match(text, position)
        if not match:
            raise malformed_query(_error_text(text, position, text[position]))
        kind = match.lastgroup
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


def _error_text(text, position, token_text):
    return (f"\n{text}\n{' ' * position}^\nERROR at Row:1:Column:{position + 1}\n"
            f"unexpected token: {token_text if token_text == '<EOF>' else repr(token_text)}")


def _unquote(text):
    body, out, index = text[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            out.append(ESCAPES.get(body[index + 1], body[index + 1]))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


class Parser:
    """Recursive-descent parser over the token list; ``parse()`` returns a Query."""

    def __init__(self, text):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0

    # -------------------------------------------------------------- token helpers
    @property
    def current(self):
        return self.tokens[self.index]

    def advance(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token=None):
        token = token or self.current
        return malformed_query(_error_text(self.text, token.position, token.text))

    def is_keyword(self, *words):
        return self.current.kind == "ident" and self.current.upper in words

    def expect_keyword(self, word):
        if not self.is_keyword(word):
            raise self.error()
        return self.advance()

    def expect(self, kind, text=None):
        token = self.current
        if token.kind != kind or (text is not None and token.text != text):
            raise self.error()
        return self.advance()

    def expect_integer(self):
        token = self.expect("number")
        if not token.text.isdigit():
            raise self.error(token)
        return int(token.text)

    # -------------------------------------------------------------- grammar
    def parse(self):
        self.expect_keyword("SELECT")
        fields, count = self.select_list()
        self.expect_keyword("FROM")
        object_token = self.expect("ident")
        query = Query(object_token.text, object_token.position, fields, count)
        if self.is_keyword("WHERE"):
            self.advance()
            query.where = self.condition()
        if self.is_keyword("ORDER"):
            self.advance()
            self.expect_keyword("BY")
            query.order_by = self.order_list()
        if self.is_keyword("LIMIT"):
            self.advance()
            query.limit = self.expect_integer()
        if self.is_keyword("OFFSET"):
            self.advance()
            query.offset = self.expect_integer()
        if self.current.kind != "eof":
            raise self.error()
        return query

    def select_list(self):
        if self.is_keyword("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.expect("punct", "(")
            self.expect("punct", ")")
            return [], True
        fields, seen = [], set()
        while True:
            token = self.current
            if token.kind != "ident" or token.upper in CLAUSE_KEYWORDS:
                raise self.error()
            self.advance()
            if token.text.lower() in seen:
                raise malformed_query(f"duplicate field selected: {token.text}")
            seen.add(token.text.lower())
            fields.append((token.text, token.position))
            if self.current.text != ",":
                return fields, False
            self.advance()

    def condition(self):
        """condition := unary ((AND unary)* | (OR unary)*) -- no mixing without parentheses."""
        first = self.unary()
        operator, operands = None, [first]
        while self.is_keyword("AND", "OR"):
            token = self.advance()
            if operator is not None and token.upper != operator:
                raise self.error(token)
            operator = token.upper
            operands.append(self.unary())
        if operator is None:
            return first
        return (operator.lower(), operands)

    def unary(self):
        if self.is_keyword("NOT"):
            self.advance()
            return ("not", self.unary())
        if self.current.text == "(":
            self.advance()
            inner = self.condition()
            self.expect("punct", ")")
            return inner
        return self.comparison()

    def comparison(self):
        field_token = self.expect("ident")
        name = (field_token.text, field_token.position)
        if self.is_keyword("LIKE"):
            self.advance()
            return ("like", name, self.literal())
        negate = False
        if self.is_keyword("NOT"):
            self.advance()
            negate = True
            if not self.is_keyword("IN"):
                raise self.error()
        if self.is_keyword("IN"):
            self.advance()
            self.expect("punct", "(")
            items = [self.literal()]
            while self.current.text == ",":
                self.advance()
                items.append(self.literal())
            self.expect("punct", ")")
            return ("in", name, negate, items)
        operator = self.expect("op").text
        return ("cmp", name, "!=" if operator == "<>" else operator, self.literal())

    def literal(self):
        """A literal as ``(kind, value)``: string, number, bool, null, date, datetime, range."""
        token = self.advance()
        if token.kind == "string":
            return ("string", _unquote(token.text))
        if token.kind == "number":
            return ("number", float(token.text) if "." in token.text else int(token.text))
        if token.kind == "datetime":
            moment = values.parse_datetime(token.text)
            if moment is None:
                raise self.error(token)
            return ("datetime", moment)
        if token.kind == "date":
            day = values.parse_date(token.text)
            if day is None:
                raise self.error(token)
            return ("date", day)
        if token.kind == "ident":
            word = token.upper
            if word in ("TRUE", "FALSE"):
                return ("bool", word == "TRUE")
            if word == "NULL":
                return ("null", None)
            if word in RANGE_LITERALS:
                return ("range", (word, 1))
            if word in N_DAY_LITERALS:
                self.expect("punct", ":")
                return ("range", (word, self.expect_integer()))
        raise self.error(token)

    def order_list(self):
        items = []
        while True:
            token = self.expect("ident")
            descending = False
            if self.is_keyword("ASC", "DESC"):
                descending = self.advance().upper == "DESC"
            nulls_last = descending
            if self.is_keyword("NULLS"):
                self.advance()
                if not self.is_keyword("FIRST", "LAST"):
                    raise self.error()
                nulls_last = self.advance().upper == "LAST"
            items.append(((token.text, token.position), descending, nulls_last))
            if self.current.text != ",":
                return items
            self.advance()


def parse(text):
    """Parse SOQL text into a Query; raise ApiError MALFORMED_QUERY on a syntax error."""
    if not isinstance(text, str) or not text.strip():
        raise malformed_query("A query must be given in the q parameter")
    return Parser(text).parse()
