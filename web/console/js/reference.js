// The Open API reference: a static page, nothing to draw.
"use strict";
