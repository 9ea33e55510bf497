// The risk page: drawn from /console/api, see console.js for the helpers.
"use strict";
