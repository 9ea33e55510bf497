//! The console's sms section, over HTTP and in headless Chromium.
