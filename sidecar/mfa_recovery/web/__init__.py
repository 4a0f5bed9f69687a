"""HTTP surface: Flask application factory and blueprints."""
